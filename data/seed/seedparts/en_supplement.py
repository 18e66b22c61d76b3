"""English supplement (v2): hard negatives on everyday topics, and complaints on the same topics.

Written for Signaal alongside nl_supplement.py (see its docstring for why); expats writing
to a Dutch municipality about opening hours, registration, permits, waste and letters.
"""

# A = application pending, M = report made, untagged = a letter the writer asks about.
SITUATIONS = [
    "A|On {date} I booked an appointment to register my address at the city office.",
    "A|On {date} I applied online for a residents' parking permit for {street}.",
    "I received a letter from the municipality about the new waste collection schedule.",
    "A|On {date} I requested a visitor parking permit because my parents are coming to stay.",
    "M|On {date} I reported that our grey bin was damaged during collection.",
    "A|On {date} I submitted the form to register the birth of our daughter.",
    "I got a letter about the municipal taxes for this year (reference {case}).",
    "A|On {date} I applied for an extract from the population register (BRP) for my employer.",
    "A|On {date} I applied for a permit to park a moving van in front of our house.",
    "A|On {date} I asked for my new correspondence address to be added to my file.",
]

KERNELS = {
"neg_information_request": [
    "Could you let me know which documents I still need to provide?",
    "Do I need to come to the office for the next step, or can I do everything online?",
    "Could you let me know what happens next?",
    "A|Where can I check the status of my application?",
    "Is there a phone number I can call if I have questions, preferably one with English-speaking staff?",
    "Do I need to pay anything for this, and if so, how?",
],
"implicit_waiting": [
    "A|It is now {weeks} weeks later and I still haven't heard anything.",
    "M|I have been waiting for {weeks} weeks and nothing has happened.",
    "A|Since then, nothing. No letter, no email, no call.",
],
}

FULL = {
"neg_information_request": [
    "What are the opening hours of the city office on Saturdays? I work full-time during the week.",
    "How do I register my address when I move to the Netherlands from abroad? Do I need an appointment?",
    "Where can I find the form to apply for a residents' parking permit? I could only find the Dutch version.",
    "Which day is paper and cardboard collected in {street}? We have just moved in.",
    "Could you let me know which documents I need to bring to my appointment for a BSN?",
    "Can I bring garden waste to the recycling centre with a trailer, or only by car?",
    "I received a letter about the WOZ value of my home. Could you explain in simple English what it means and whether I need to do anything?",
    "Can I change my appointment at the city office to next week? I can't find a link to reschedule it.",
    "How long is an extract from the BRP valid if I need it for my employer?",
    "Is the city office open between Christmas and New Year?",
    "Do I need a permit for a skip for building waste in front of my house, and how far in advance should I apply?",
    "My partner and I are moving in together on {date2}. How do we register that she now lives at my address?",
    "Can someone else pick up my residence document from the counter if I give them a signed authorisation?",
    "Does the visitor parking scheme also apply on Sundays?",
],
"neg_neutral_report": [
    "The parking meter on the corner of {street} shows an error message today. I paid with the app instead.",
    "Our plastic bin was not emptied this morning, although the rest of the street was. Maybe it was missed on the route?",
    "The sign with the collection days at the underground containers on {street} has blown over.",
    "The automatic door at the entrance of the city office does not open by itself today.",
    "The online form for changing my address gives an error at the last step. I am sending the change by email instead.",
],
"neg_other": [
    "As agreed on the phone, I am sending you a copy of my rental contract for the parking permit.",
    "My phone number has changed. Please use {phone} from now on.",
    "As promised, here are the missing payslips for my application. Please let me know if anything else is needed.",
    "This email was meant for the permits department; I sent it to the general address by mistake. Could you forward it?",
    "I will be abroad until {date2}. Letters about my application can go to my colleague's address, {street} {nr}, {place}.",
],
"neg_question_how_to_object": [
    "My application for a second parking permit was refused. How long do I have to object, and can I write the objection in English?",
    "What is the difference between an objection and a complaint when it is about a letter from the municipality?",
    "If I object to the waste tax assessment, do I still have to pay it first?",
    "Can I submit an objection online with DigiD, or does it have to be sent by post?",
],
"neg_negated_dissatisfaction": [
    "This is not a complaint, just a question: I can't find the Saturday opening hours on the website. Are you open then?",
    "The appointment for my BSN went fine, no complaints at all. I just want to know when the letter with my number will arrive.",
    "I have nothing against the new collection day. I only want to know from which week it applies.",
    "No criticism intended, I entered the wrong date myself. Can I still change my appointment?",
    "I'm perfectly happy with how things are going. One practical question: will I receive a new waste pass automatically?",
],
"neg_thanks_after_resolution": [
    "Last week I wrote that my parking permit had not arrived. It turned out my neighbours had it. Sorry for the trouble and thanks for the quick reply!",
    "My report about the damaged bin has been dealt with; a new one was delivered today. Thank you.",
    "I called earlier, rather annoyed, about the changed collection day. I have found the letter now and understand it. Thanks for your patience.",
    "The error in the address form has been fixed and I was able to submit my change of address. My earlier message can be closed.",
    "Thanks for your call this morning. With your explanation I understand the tax assessment, so my question has been answered.",
],
"explicit_complaint": [
    "I strongly disagree with closing the city office on Saturdays. For people who work full-time this is unreasonable.",
    "I want to file a complaint about the appointment system. Three times I booked an appointment to register, three times it gave an error and no confirmation.",
    "The waste collection calendar you sent is completely wrong, and I am really annoyed: half our street put their bins out for nothing.",
    "It is unacceptable that there is no information in English about parking permits, when so many residents here are internationals.",
],
"implicit_waiting": [
    "I applied for my parking permit on {date}. I am paying at the meter every day and there is still no decision.",
    "I asked on {date} via the contact form how to get a new bin. It is {weeks} weeks later and I have had no answer.",
    "My registration appointment was on {date}, and I still have no BSN. Without it I cannot start my job.",
],
"implicit_repeated_contact": [
    "For the third time I am asking you to update my phone number. You are still calling my old number.",
    "This is my fourth report that the parking meter on {street} is broken. It is still broken.",
    "Once again I am sending my rental contract. This is the third time you have asked for it.",
],
"sarcasm": [
    "Great, a city office that is only open when everyone is at work. Very customer-friendly.",
    "Thanks for the 'quick' reply to my question about the bin. Only took two months.",
],
"rhetorical_question": [
    "Is it really that hard to keep the opening hours on the website up to date?",
    "Why do I have to fill in the same address form three times before it is accepted?",
    "How many times do I have to give you my licence plate before it is in your system?",
],
"implicit_promise_broken": [
    "At the counter I was told my parking permit would arrive within five working days. It is almost a month later.",
],
}

COMPOSED = {"neg_information_request": 10, "implicit_waiting": 4}

SOCIAL = {
"neg_information_request": [
    "Is the city office in {place} open on Saturday? {gem}",
    "{gem} which day is paper collected in {street}? Just moved in 📦",
    "Do you need an appointment for a BRP extract? {gem}",
    "Can I drop off an old mattress at the recycling centre, or is there a pickup service? #{place}",
    "{gem} where do I find the English form for a parking permit?",
],
"neg_neutral_report": [
    "Parking meter on the corner of {street} shows an error, just so you know. {gem}",
    "Underground container at {street} {nr} is full. {gem}",
],
"explicit_complaint": [
    "City office closed on Saturdays now? Ridiculous {gem}, some of us work during the week.",
    "The appointment system of {gem} is a disaster. Three tries, three errors 😡",
],
"sarcasm": [
    "Well done {gem}, a collection calendar with the wrong dates 👏 Very helpful.",
    "Love it when the form crashes at the last step. Great job {gem} 🙃",
],
"rhetorical_question": [
    "Why are the opening hours on the website never right, {gem}?",
],
}
