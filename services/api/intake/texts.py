"""What the public form says, in Dutch (the default) and English: one small dict per language.

Dutch government writes to citizens formally ("u"). Messages say what happened
and what to do next; none of them blames the citizen.
"""

from __future__ import annotations

from typing import Literal

Language = Literal["nl", "en"]
DEFAULT_LANGUAGE: Language = "nl"

NL: dict[str, str] = {
    "skip": "Direct naar het formulier",
    "title": "Contactformulier",
    "intro": "Heeft u een vraag, een klacht of een melding? Laat het ons weten via dit formulier.",
    "required": "verplicht",
    "optional": "optioneel",
    "name": "Naam",
    "email": "E-mailadres",
    "email_hint": "Vul dit in als u een reactie per e-mail wilt.",
    "phone": "Telefoonnummer",
    "phone_hint": "Bijvoorbeeld 06 12345678. Dan kunnen we u bellen.",
    "subject": "Onderwerp",
    "message": "Uw bericht",
    "message_hint": "Beschrijf zo precies mogelijk waar het om gaat. Maximaal {max} tekens.",
    "attachments": "Bijlagen",
    "attachments_hint": "Maximaal {count} bestanden van elk maximaal {size}, samen maximaal {total}. "
    "Toegestane bestanden: {types}.",
    "honeypot": "Laat dit veld leeg",
    "privacy_title": "Wat we met uw gegevens doen",
    "privacy": "We gebruiken uw gegevens alleen om uw bericht te behandelen en om contact met u op te "
    "nemen. We bewaren ze niet langer dan nodig en delen ze niet met anderen, tenzij de wet dat vraagt.",
    "privacy_link": "Lees onze privacyverklaring",
    "submit": "Bericht versturen",
    "other_language": "English",
    "other_language_code": "en",
    "error_summary": "Er is een probleem",
    "error_prefix": "Fout",
    "reupload": "Uw bijlagen zijn niet bewaard: voeg ze opnieuw toe voordat u verstuurt.",
    "too_fast": "U verstuurde het formulier erg snel, daarom is het nog niet verstuurd. "
    "Controleer uw bericht en klik nog een keer op ‘Bericht versturen’.",
    "rate_limited": "Er zijn in korte tijd veel berichten vanaf uw verbinding verstuurd. Uw bericht is nog "
    "niet verstuurd. Wacht {seconds} seconden en verstuur het dan opnieuw.",
    "token_missing": "We konden niet controleren dat het formulier van deze website kwam, daarom is uw "
    "bericht nog niet verstuurd. Sta cookies voor deze website toe en verstuur het opnieuw.",
    "token_expired": "Het formulier stond te lang open, daarom is uw bericht nog niet verstuurd. "
    "Controleer uw bericht en verstuur het opnieuw.",
    "storage_failed": "Door een storing konden we uw bericht niet opslaan. Uw tekst staat hieronder nog; "
    "probeer het over een paar minuten opnieuw.",
    "too_large_title": "Uw bericht is te groot",
    "too_large": "Het bericht met bijlagen is groter dan {size}, daarom is het niet verstuurd. Ga terug, "
    "verwijder of verklein bijlagen en verstuur het opnieuw.",
    "back_to_form": "Terug naar het formulier",
    "closed_title": "Formulier niet beschikbaar",
    "closed": "Het contactformulier is op dit moment niet beschikbaar. Neem op een andere manier contact "
    "met ons op.",
    "received_title": "Bedankt, uw bericht is ontvangen",
    "reference_intro": "Uw referentienummer is",
    "reference_keep": "Bewaar dit nummer. Noem het als u contact met ons opneemt over dit bericht.",
    "next_steps": "We lezen uw bericht en nemen zo nodig contact met u op.",
    "new_message": "Nog een bericht versturen",
    "err_email": "Vul een geldig e-mailadres in, zoals naam@voorbeeld.nl.",
    "err_phone": "Vul een geldig telefoonnummer in, zoals 06 12345678 of +31 20 123 4567.",
    "err_message_required": "Vul uw bericht in.",
    "err_message_too_long": "Uw bericht is {count} tekens lang; het maximum is {max}. "
    "Maak het {over} tekens korter.",
    "err_too_long": "Dit veld mag maximaal {max} tekens lang zijn.",
    "err_invalid": "Controleer wat u hier heeft ingevuld.",
    "err_unstorable": "Dit veld bevat een onzichtbaar teken dat we niet kunnen opslaan. Typ de tekst "
    "opnieuw, of plak hem zonder opmaak.",
    "att_count": "U kunt maximaal {max} bijlagen meesturen.",
    "att_empty": "{filename} is leeg. Kies een ander bestand.",
    "att_size": "{filename} is {size}; een bijlage mag maximaal {max} zijn.",
    "att_total": "De bijlagen zijn samen {size}; samen mogen ze maximaal {max} zijn.",
    "att_type": "{filename} is een soort bestand dat we niet aannemen. Toegestaan: {types}.",
    "att_content": "{filename} lijkt geen echt {type}-bestand. Sla het opnieuw op of kies een ander bestand.",
    "att_none": "Er kunnen bij dit formulier geen bijlagen worden meegestuurd.",
}

EN: dict[str, str] = {
    "skip": "Skip to the form",
    "title": "Contact form",
    "intro": "Do you have a question, a complaint or something to report? Let us know with this form.",
    "required": "required",
    "optional": "optional",
    "name": "Name",
    "email": "Email address",
    "email_hint": "Fill this in if you would like a reply by email.",
    "phone": "Phone number",
    "phone_hint": "For example 06 12345678. Then we can call you.",
    "subject": "Subject",
    "message": "Your message",
    "message_hint": "Describe as precisely as you can what it is about. At most {max} characters.",
    "attachments": "Attachments",
    "attachments_hint": "At most {count} files of at most {size} each, {total} together. "
    "Allowed files: {types}.",
    "honeypot": "Leave this field empty",
    "privacy_title": "What we do with your details",
    "privacy": "We use your details only to handle your message and to contact you. We keep them no "
    "longer than needed and do not share them with others unless the law requires it.",
    "privacy_link": "Read our privacy statement",
    "submit": "Send message",
    "other_language": "Nederlands",
    "other_language_code": "nl",
    "error_summary": "There is a problem",
    "error_prefix": "Error",
    "reupload": "Your attachments were not kept: add them again before you send.",
    "too_fast": "You sent the form very quickly, so it has not been sent yet. "
    "Check your message and click ‘Send message’ once more.",
    "rate_limited": "Many messages were sent from your connection in a short time. Your message has not "
    "been sent yet. Wait {seconds} seconds, then send it again.",
    "token_missing": "We could not check that the form came from this website, so your message has not "
    "been sent yet. Allow cookies for this website and send it again.",
    "token_expired": "The form was open for too long, so your message has not been sent yet. "
    "Check your message and send it again.",
    "storage_failed": "A fault stopped us from saving your message. Your text is still below; "
    "please try again in a few minutes.",
    "too_large_title": "Your message is too large",
    "too_large": "The message with its attachments is larger than {size}, so it was not sent. Go back, "
    "remove or shrink attachments and send it again.",
    "back_to_form": "Back to the form",
    "closed_title": "Form not available",
    "closed": "The contact form is not available at the moment. Please contact us another way.",
    "received_title": "Thank you, we have received your message",
    "reference_intro": "Your reference number is",
    "reference_keep": "Keep this number. Mention it when you contact us about this message.",
    "next_steps": "We will read your message and contact you if needed.",
    "new_message": "Send another message",
    "err_email": "Enter a valid email address, like name@example.com.",
    "err_phone": "Enter a valid phone number, like 06 12345678 or +31 20 123 4567.",
    "err_message_required": "Enter your message.",
    "err_message_too_long": "Your message is {count} characters long; the maximum is {max}. "
    "Make it {over} characters shorter.",
    "err_too_long": "This field can be at most {max} characters long.",
    "err_invalid": "Check what you entered here.",
    "err_unstorable": "This field contains an invisible character we cannot store. Type the text again, "
    "or paste it without formatting.",
    "att_count": "You can send at most {max} attachments.",
    "att_empty": "{filename} is empty. Choose another file.",
    "att_size": "{filename} is {size}; an attachment can be at most {max}.",
    "att_total": "The attachments are {size} together; together they can be at most {max}.",
    "att_type": "{filename} is a kind of file we do not accept. Allowed: {types}.",
    "att_content": "{filename} does not look like a real {type} file. Save it again or choose another file.",
    "att_none": "This form does not accept attachments.",
}

TEXTS: dict[str, dict[str, str]] = {"nl": NL, "en": EN}


def language(value: object) -> Language:
    """The supported language asked for, or Dutch."""
    return "en" if value == "en" else DEFAULT_LANGUAGE


def size(num_bytes: int, lang: Language = DEFAULT_LANGUAGE) -> str:
    """A size people read, e.g. `10 MB` or `1,5 MB` (Dutch decimal comma)."""
    if num_bytes < 1024 * 1024:
        text = f"{max(1, round(num_bytes / 1024))} kB"
    else:
        megabytes = num_bytes / (1024 * 1024)
        text = f"{megabytes:.0f} MB" if megabytes >= 10 or megabytes.is_integer() else f"{megabytes:.1f} MB"
    return text.replace(".", ",") if lang == "nl" else text
