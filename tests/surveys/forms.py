"""A small multilingual form with every feature the response tests need."""

from __future__ import annotations

from ssehub.surveys.importer import import_form

from .helpers import xlsx

HEADER = ["type", "name", "label::English (en)", "label::French (fr)", "relevant",
          "constraint", "constraint_message::English (en)", "constraint_message::French (fr)",
          "required", "required_message::English (en)", "repeat_count", "calculation",
          "appearance"]

ROWS = [
    ["text", "org_name", "Organisation name", "Nom de l'organisation", "", "", "", "", "yes",
     "Please give the organisation's name", "", "", ""],
    ["select_one yn", "is_member", "Task Force member?", "Membre de l'Équipe spéciale ?", "", "",
     "", "", "yes", "", "", "", ""],
    ["integer", "staff", "Staff", "Personnel", "${is_member} = 'yes'", ". >= 0 and . < 100000",
     "Staff must be between 0 and 99,999", "Le personnel doit être entre 0 et 99 999", "yes",
     "", "", "", ""],
    ["select_multiple sdg", "sdgs", "SDGs addressed", "ODD traités", "", "", "", "", "", "", "",
     "", ""],
    ["decimal", "budget", "Budget", "Budget", "", ". > 0", "", "", "", "", "", "", ""],
    ["calculate", "budget_k", "", "", "", "", "", "", "", "", "", "${budget} div 1000", ""],
    ["begin_repeat", "programme", "Programme", "Programme", "", "", "", "", "", "", "", "", ""],
    ["text", "prog_name", "Programme name", "Nom du programme", "", "", "", "", "yes", "", "",
     "", ""],
    ["integer", "beneficiaries", "Beneficiaries", "Bénéficiaires", "", ". >= 0", "", "", "", "",
     "", "", ""],
    ["end_repeat", "", "", "", "", "", "", "", "", "", "", "", ""],
    ["integer", "n_regions", "How many regions?", "Combien de régions ?", "", ". <= 5", "", "",
     "", "", "", "", ""],
    ["begin_repeat", "region", "Region", "Région", "", "", "", "", "", "", "${n_regions}", "",
     ""],
    ["text", "region_name", "Region name", "Nom de la région", "", "", "", "", "", "", "", "",
     ""],
    ["end_repeat", "", "", "", "", "", "", "", "", "", "", "", ""],
    ["geopoint", "office", "Office location", "Siège", "", "", "", "", "", "", "", "", ""],
    ["date", "founded", "Founded", "Fondée", "", ". <= today()", "", "", "", "", "", "", ""],
    ["text", "comments", "Comments", "Commentaires", "", "", "", "", "", "", "", "",
     "multiline"],
]

CHOICES = [["list_name", "name", "label::English (en)", "label::French (fr)"],
           ["yn", "yes", "Yes", "Oui"], ["yn", "no", "No", "Non"],
           ["sdg", "sdg1", "No poverty", "Pas de pauvreté"],
           ["sdg", "sdg5", "Gender equality", "Égalité entre les sexes"],
           ["sdg", "sdg8", "Decent work", "Travail décent"]]

SETTINGS = [["form_title", "form_id", "default_language"],
            ["Task Force test", "tf_test", "English (en)"]]


def form_bytes() -> bytes:
    return xlsx({"survey": [HEADER, *ROWS], "choices": CHOICES, "settings": SETTINGS})


def make_survey(name: str = "tf"):
    return import_form(form_bytes(), "tf.xlsx", name).survey


GOOD = {
    "org_name": "ILO", "is_member": "yes", "staff": "120", "sdgs": ["sdg1", "sdg8"],
    "budget": "2500", "programme:count": "2",
    "programme:0:prog_name": "Coops", "programme:0:beneficiaries": "300",
    "programme:1:prog_name": "Finance", "programme:1:beneficiaries": "40",
    "n_regions": "1", "region:0:region_name": "Africa", "office": "46.2 6.1",
    "founded": "1919-04-11", "comments": "Decent work for all",
}


def make_upload_survey(name: str = "uploads"):
    data = xlsx({"survey": [["type", "name", "label"], ["image", "logo", "Logo"]]})
    return import_form(data, "uploads.xlsx", name).survey
