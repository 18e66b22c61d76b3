"""Fill-in values shared by both languages (all invented)."""

FIRST_NAMES = [
    "Sanne", "Daan", "Fatima", "Mohamed", "Priya", "Kees", "Annelies", "Joost", "Ilse",
    "Bram", "Yusuf", "Ayşe", "Noor", "Wim", "Ria", "Henk", "Marieke", "Sven", "Lotte",
    "Jeroen", "Esra", "Rachid", "Chantal", "Gerda", "Piet", "Tamara", "Kevin", "Naima",
    "Stijn", "Anouk", "Ruud", "Wilma", "Dirk", "Mirjam", "Hatice", "Agnieszka", "Tomasz",
    "Sharon", "Roy", "Ingrid", "Lars", "Femke", "Emre", "Soufiane", "Demi", "Jolanda",
    "Hans", "Nicole", "Marco", "Ivo", "Saskia", "Karim", "Linda", "Thijs", "Bouchra",
    "Gijs", "Merel", "Orlando", "Jasmijn", "Frits",
]

LAST_NAMES = [
    "de Vries", "Jansen", "Bakker", "Visser", "Smit", "Meijer", "de Boer", "Mulder",
    "de Groot", "Bos", "Vos", "Peters", "Hendriks", "van Leeuwen", "Dekker", "Brouwer",
    "de Wit", "Dijkstra", "Smits", "de Graaf", "van der Meer", "Kok", "Jacobs", "Yılmaz",
    "El Amrani", "Kaya", "Bouzid", "Ramdin", "Kowalski", "Nowak", "van Dam", "Verhoeven",
    "Koster", "Prins", "Huisman", "Post", "Kuipers", "Veenstra", "Schouten", "Wijnands",
    "Ouali", "Doğan", "Sedney", "Pinas", "Hoekstra", "Bosman", "Willems", "Timmermans",
    "van den Berg", "Lubbers", "Ekström", "Ferreira", "O'Brien", "Nguyen",
]

EXPAT_FIRST_NAMES = [
    "Anna", "James", "Priya", "Luca", "Sofia", "Mateusz", "Chen", "Aisha", "Diego",
    "Emily", "Rahul", "Olga", "Tom", "Mei", "Carlos", "Hannah", "Ahmed", "Julia",
    "Kofi", "Elena", "Sam", "Yuki", "Ines", "Daniel", "Fatemeh", "Niamh", "Arjun",
    "Giulia", "Ben", "Zeynep",
]

EXPAT_LAST_NAMES = [
    "Smith", "Rossi", "Kumar", "García", "Novak", "Li", "Okafor", "Müller", "Brown",
    "Kowalczyk", "Sharma", "Ivanova", "Walsh", "Tanaka", "Silva", "Schmidt", "Hassan",
    "Moreau", "Mensah", "Popescu", "Wilson", "Nakamura", "Costa", "Fischer", "Karimi",
    "Murphy", "Patel", "Bianchi", "Taylor", "Demir",
]

STREETS = [
    "Kerkstraat", "Dorpsstraat", "Molenweg", "Stationsweg", "Julianalaan", "Beatrixstraat",
    "Schoolstraat", "Lindenlaan", "Kastanjelaan", "Prinses Irenestraat", "Vondelstraat",
    "Parallelweg", "Esdoornstraat", "Zuiderhaven", "Van Goghstraat", "Rembrandtlaan",
    "Nieuwe Gracht", "Merelstraat", "Lijsterbeslaan", "Tulpstraat", "Havenkade",
    "Oranjesingel", "Marktstraat", "Wilgenhof", "Zonnebloemstraat", "Burgemeester Pelsstraat",
    "Bongerdlaan", "Spoorlaan", "Populierenweg", "Koningsweg", "Meidoornhof", "Pastoor Vosstraat",
]

PLACES = [
    "Utrecht", "Zwolle", "Amersfoort", "Tilburg", "Groningen", "Leeuwarden", "Almere",
    "Breda", "Haarlem", "Nijmegen", "Apeldoorn", "Enschede", "Delft", "Leiden",
    "Den Bosch", "Hengelo", "Deventer", "Alkmaar", "Zaandam", "Assen", "Emmen", "Venlo",
    "Heerlen", "Gouda", "Schiedam", "Rotterdam", "Amsterdam", "Den Haag", "Eindhoven",
    "Hoorn", "Purmerend", "Lelystad", "Veenendaal", "Ede",
]

# Obviously fake mobile numbers only.
PHONES = ["06-12345678", "06-11223344", "06-98765432", "06-12121212", "06-87654321",
          "06-10203040", "06-55554444", "06-13579135"]

CHILD_NAMES = ["Milan", "Saar", "Noah", "Zoë", "Adam", "Julia", "Sem", "Lina", "Finn",
               "Yara", "Luuk", "Amira", "Mees", "Eva", "Ilyas", "Tess"]
