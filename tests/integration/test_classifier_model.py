"""The shipped classifier: flags clear complaints in Dutch and English, passes neutral messages, explains."""

from __future__ import annotations

import numpy as np
import pytest

from services.classifier import registry
from services.classifier.model import Classifier
from shared.settings import Settings

COMPLAINTS = [
    "Dit is de derde keer dat ik bel en nog steeds geen antwoord. Onacceptabel.",
    "Ik wacht al acht weken op een reactie op mijn aanvraag. Niemand belt terug, ik word van het "
    "kastje naar de muur gestuurd.",
    "Ik ben zeer ontevreden over de manier waarop uw medewerker mij aan de balie heeft behandeld.",
    "Geweldig hoor, voor de vierde keer mijn container niet geleegd. Top service weer 🙄",
    "This is the third time I am writing and still no reply. Completely unacceptable.",
    "I have been waiting for two months for my permit and nobody answers the phone. Very frustrating.",
]
NEUTRAL = [
    "Wat zijn de openingstijden van het stadskantoor?",
    "De lantaarnpaal voor huisnummer 12 in de Kerkstraat brandt niet.",
    "Hartelijk dank voor de snelle hulp gisteren, alles is nu opgelost!",
    "Hoe kan ik bezwaar maken tegen mijn WOZ-beschikking?",
    "Could you tell me which documents I need to bring for my passport appointment?",
    "Thank you for fixing the pavement so quickly, much appreciated.",
]


@pytest.fixture(scope="module")
def classifier() -> Classifier:
    settings = Settings()
    return registry.classifier(registry.resolve(settings.model_dir), settings)


@pytest.mark.parametrize("text", COMPLAINTS)
def test_clear_complaints_are_flagged(classifier: Classifier, text: str) -> None:
    verdict = classifier.score([text])[0]
    assert verdict.flagged, f"score {verdict.probability:.3f} < {verdict.threshold:.3f}"
    assert verdict.band in {"high", "possible"}


@pytest.mark.parametrize("text", NEUTRAL)
def test_clear_neutral_messages_pass(classifier: Classifier, text: str) -> None:
    verdict = classifier.score([text])[0]
    assert not verdict.flagged, f"score {verdict.probability:.3f} >= {verdict.threshold:.3f}"
    assert verdict.band == "none" and verdict.phrases == []


def test_flagged_phrases_point_into_the_text(classifier: Classifier) -> None:
    text = COMPLAINTS[0]
    verdict = classifier.score([text])[0]
    assert verdict.phrases
    for phrase in verdict.phrases:
        assert text[phrase["start"] : phrase["end"]] == phrase["text"]
    assert any("derde keer" in str(p["text"]) for p in verdict.phrases)


def test_language_is_detected_per_message(classifier: Classifier) -> None:
    dutch, english = classifier.score([COMPLAINTS[0], COMPLAINTS[4]])
    assert (dutch.language, english.language) == ("nl", "en")


def test_a_complaint_deep_inside_a_long_email_is_found(classifier: Classifier) -> None:
    filler = "Ik schrijf u over de gang van zaken rond de verbouwing van ons huis aan de Dorpsstraat. " * 40
    complaint = "Dit is de derde keer dat ik mail en ik heb nog steeds geen reactie gekregen. Onacceptabel."
    text = filler + complaint
    verdict = classifier.score([text])[0]
    assert verdict.flagged
    assert any(p["start"] >= len(filler) for p in verdict.phrases)
    for phrase in verdict.phrases:
        assert text[phrase["start"] : phrase["end"]] == phrase["text"]


def test_an_organisation_threshold_overrides_the_models(classifier: Classifier) -> None:
    text = NEUTRAL[0]
    assert classifier.score([text], threshold=0.001)[0].flagged
    strong, weaker = classifier.score([COMPLAINTS[0], COMPLAINTS[2]])
    assert not classifier.score([COMPLAINTS[2]], threshold=(strong.probability + weaker.probability) / 2)[
        0
    ].flagged


def test_the_same_text_twice_gets_the_same_verdict(classifier: Classifier) -> None:
    first, second = classifier.score([COMPLAINTS[1], COMPLAINTS[1]])
    assert first.probability == second.probability and first.phrases == second.phrases


def test_a_long_email_goes_through_the_encoder_at_most_its_window_budget(
    classifier: Classifier, monkeypatch: pytest.MonkeyPatch
) -> None:
    neutral = "Wij hebben op 3 maart een nieuwe schutting geplaatst aan de achterkant van de tuin. " * 30
    text = neutral + "Ik heb al drie keer gebeld en niemand belt terug. Dit is echt onacceptabel."
    encoded: list[str] = []
    encode = classifier.encoder.encode

    def counting(pieces, batch_size=64):  # type: ignore[no-untyped-def]
        encoded.extend(pieces)
        return encode(pieces, batch_size=batch_size)

    monkeypatch.setattr(classifier.encoder, "encode", counting)
    verdict = classifier.score([text])[0]
    assert 1 <= len(encoded) <= classifier.max_encoded_windows
    assert verdict.flagged


def test_a_texts_features_do_not_depend_on_the_texts_beside_it(classifier: Classifier) -> None:
    text = COMPLAINTS[0]
    alone = classifier.encoder.encode([text])[0]
    beside_others = classifier.encoder.encode([NEUTRAL[1], text, COMPLAINTS[1] * 5])[1]
    assert np.array_equal(alone, beside_others)


WRAPPED_COMPLAINT = (
    "Geachte heer/mevrouw,\n\nDit is de derde keer dat ik bel en nog steeds geen antwoord. Onacceptabel.\n\n"
    "Met vriendelijke groet,\nJan Jansen\nKerkstraat 12\n06-12345678\n\n"
    "Dit bericht is uitsluitend bestemd voor de geadresseerde. Aan dit bericht kunnen geen rechten "
    "worden ontleend.\n\nOp 3 mrt. 2026 om 10:12 schreef Gemeente <info@example.nl>:\n"
    "> Wij hebben uw vraag ontvangen.\n"
)


def test_phrases_of_a_wrapped_email_point_into_the_original_text(classifier: Classifier) -> None:
    verdict = classifier.score([WRAPPED_COMPLAINT])[0]
    assert verdict.flagged and verdict.phrases
    for phrase in verdict.phrases:
        assert WRAPPED_COMPLAINT[phrase["start"] : phrase["end"]] == phrase["text"]
    assert any("derde keer" in str(p["text"]) for p in verdict.phrases)


def test_wrappers_do_not_move_the_score(classifier: Classifier) -> None:
    bare = "Dit is de derde keer dat ik bel en nog steeds geen antwoord. Onacceptabel."
    wrapped, plain = classifier.score([WRAPPED_COMPLAINT, bare])
    assert wrapped.probability == pytest.approx(plain.probability)


@pytest.mark.parametrize(
    "text",
    [
        "asdkjh qwpeoiru zxmcnvb lkjhasd poiuqwe mnbzxcv qwrtplkj",
        "Ð\x97Ð´Ñ\x80Ð°Ð²Ñ\x81Ñ\x82Ð²Ñ\x83Ð¹Ñ\x82Ðµ, Ñ\x83 Ð¼ÐµÐ½Ñ\x8f Ð²Ð¾Ð¿Ñ\x80Ð¾Ñ\x81",
        bytes(range(32, 256)).decode("latin-1") * 3,
    ],
)
def test_unreadable_text_gets_its_own_band_and_is_never_high(classifier: Classifier, text: str) -> None:
    verdict = classifier.score([text])[0]
    assert verdict.band == "unreadable"
    assert verdict.flagged  # a person looks at it in the front office's queue
    assert verdict.phrases == [] and verdict.language is None


def test_an_operating_point_per_language_is_used_when_the_model_has_one(classifier: Classifier) -> None:
    text = "Wat zijn de openingstijden van het stadskantoor?"
    original = dict(classifier.operating_points)
    try:
        classifier.operating_points = {"nl": (0.0001, 0.9999)}
        dutch = classifier.score([text])[0]
        assert dutch.threshold == pytest.approx(0.0001) and dutch.flagged and dutch.band == "possible"
        english = classifier.score(["What are the opening hours of the city office?"])[0]
        assert english.threshold == pytest.approx(classifier.threshold)
        assert classifier.score([text], threshold=0.99)[0].threshold == pytest.approx(0.99)
    finally:
        classifier.operating_points = original
