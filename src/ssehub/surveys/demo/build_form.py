"""Writes ``task_force_survey.xlsx``, the UNTFSSE members and observers survey (EN/FR/ES).

The workbook in the repository is what ships; this script is how it was made, so that a
change is reviewed as a diff of the rows below and the file rebuilt:
``python -m ssehub.surveys.demo.build_form``. SDG names come from the hub's own SDG data.
"""

from __future__ import annotations

import csv
from pathlib import Path

HERE = Path(__file__).resolve().parent
FORM = HERE / "task_force_survey.xlsx"
SDG_CSV = HERE.parent.parent / "sdg" / "data" / "sdg_goals_en_fr_es.csv"

LANGS = ("English (en)", "French (fr)", "Spanish (es)")
HEADER = (["type", "name"] + [f"label::{lang}" for lang in LANGS]
          + [f"hint::{lang}" for lang in LANGS]
          + ["required"] + [f"required_message::{lang}" for lang in LANGS]
          + ["relevant", "constraint"] + [f"constraint_message::{lang}" for lang in LANGS]
          + ["repeat_count", "appearance"])

T = tuple[str, str, str]
NONE: T = ("", "", "")
REQUIRED: T = ("Please answer this question.", "Merci de répondre à cette question.",
               "Por favor, responda a esta pregunta.")
NUMBER: T = ("Enter a number of 0 or more.", "Saisissez un nombre positif ou nul.",
             "Introduzca un número igual o superior a 0.")


def row(kind: str, name: str, label: T = NONE, hint: T = NONE, required: bool = False,
        relevant: str = "", constraint: str = "", message: T = NONE, repeat_count: str = "",
        appearance: str = "") -> list[str]:
    return [kind, name, *label, *hint, "yes" if required else "",
            *(REQUIRED if required else NONE), relevant, constraint, *message, repeat_count,
            appearance]


SURVEY = [
    row("start", "start"), row("end", "end"),
    row("begin_group", "structure", ("Your organisation", "Votre organisation",
                                     "Su organización")),
    row("text", "org_name", ("Name of the organisation", "Nom de l'organisation",
                             "Nombre de la organización"), required=True),
    row("select_one tf_role", "tf_role", ("Status in the Task Force",
                                          "Statut au sein de l'Équipe spéciale",
                                          "Estatus en el Grupo de Trabajo"), required=True),
    row("select_one org_type", "org_type", ("Type of organisation", "Type d'organisation",
                                            "Tipo de organización"), required=True),
    row("text", "org_type_other", ("Which type?", "Quel type ?", "¿Qué tipo?"),
        required=True, relevant="${org_type} = 'other'"),
    row("select_one yn", "sse_unit", ("Does your organisation have a unit or focal point "
                                      "dedicated to the SSE?",
                                      "Votre organisation a-t-elle une unité ou un point focal "
                                      "consacré à l'ESS ?",
                                      "¿Tiene su organización una unidad o un punto focal "
                                      "dedicado a la ESS?"), required=True),
    row("integer", "sse_staff", ("How many staff work on the SSE (full-time equivalent)?",
                                 "Combien de personnes travaillent sur l'ESS (équivalent temps "
                                 "plein) ?",
                                 "¿Cuántas personas trabajan en la ESS (equivalente a tiempo "
                                 "completo)?"),
        relevant="${sse_unit} = 'yes'", constraint=". >= 0 and . <= 100000", message=NUMBER),
    row("end_group", ""),
    row("begin_group", "activities", ("SSE activities and programmes",
                                      "Activités et programmes d'ESS",
                                      "Actividades y programas de ESS")),
    row("select_multiple activity", "activity_types",
        ("What does your organisation do on the SSE?", "Que fait votre organisation pour l'ESS ?",
         "¿Qué hace su organización en materia de ESS?"), required=True),
    row("integer", "n_programmes", ("How many SSE programmes or projects did you run in 2025?",
                                    "Combien de programmes ou projets d'ESS avez-vous menés en "
                                    "2025 ?",
                                    "¿Cuántos programas o proyectos de ESS llevó a cabo en "
                                    "2025?"),
        ("Describe up to 10 of them below.", "Décrivez-en jusqu'à 10 ci-dessous.",
         "Describa hasta 10 a continuación."), required=True,
        constraint=". >= 0 and . <= 10",
        message=("Between 0 and 10 (describe the 10 largest).",
                 "Entre 0 et 10 (décrivez les 10 plus importants).",
                 "Entre 0 y 10 (describa los 10 más importantes).")),
    row("begin_repeat", "programme", ("Programme", "Programme", "Programa"),
        relevant="${n_programmes} > 0", repeat_count="${n_programmes}"),
    row("text", "prog_name", ("Name of the programme", "Nom du programme",
                              "Nombre del programa"), required=True),
    row("select_multiple sdg", "prog_sdgs", ("SDGs it contributes to",
                                             "ODD auxquels il contribue",
                                             "ODS a los que contribuye"), required=True),
    row("select_multiple region", "prog_regions", ("Regions", "Régions", "Regiones")),
    row("integer", "prog_beneficiaries", ("Direct beneficiaries (people)",
                                          "Bénéficiaires directs (personnes)",
                                          "Beneficiarios directos (personas)"),
        constraint=". >= 0", message=NUMBER),
    row("decimal", "prog_budget", ("Budget in 2025 (USD)", "Budget en 2025 (USD)",
                                   "Presupuesto en 2025 (USD)"),
        constraint=". >= 0", message=NUMBER),
    row("end_repeat", ""),
    row("end_group", ""),
    row("begin_group", "beneficiaries", ("Beneficiaries", "Bénéficiaires", "Beneficiarios")),
    row("select_multiple beneficiary", "beneficiary_groups",
        ("Which groups do your SSE activities reach?",
         "Quels groupes vos activités d'ESS atteignent-elles ?",
         "¿A qué grupos llegan sus actividades de ESS?")),
    row("integer", "beneficiaries_total", ("Total direct beneficiaries in 2025",
                                           "Total des bénéficiaires directs en 2025",
                                           "Total de beneficiarios directos en 2025"),
        constraint=". >= 0", message=NUMBER),
    row("end_group", ""),
    row("begin_group", "investments", ("Investments", "Investissements", "Inversiones")),
    row("select_one yn", "invests", ("Does your organisation finance SSE entities?",
                                     "Votre organisation finance-t-elle des entités de l'ESS ?",
                                     "¿Financia su organización a entidades de la ESS?"),
        required=True),
    row("decimal", "investment_usd", ("Amount committed in 2025 (USD)",
                                      "Montant engagé en 2025 (USD)",
                                      "Monto comprometido en 2025 (USD)"),
        relevant="${invests} = 'yes'", constraint=". > 0",
        message=("Enter an amount above 0.", "Saisissez un montant supérieur à 0.",
                 "Introduzca un monto superior a 0.")),
    row("select_multiple instrument", "instruments", ("Instruments used",
                                                      "Instruments utilisés",
                                                      "Instrumentos utilizados"),
        relevant="${invests} = 'yes'"),
    row("end_group", ""),
    row("begin_group", "sdgs_regions", ("SDGs and regions", "ODD et régions",
                                        "ODS y regiones")),
    row("select_multiple sdg", "sdgs", ("Which SDGs does your SSE work address?",
                                        "Quels ODD votre travail sur l'ESS concerne-t-il ?",
                                        "¿Qué ODS aborda su trabajo en ESS?"), required=True),
    row("select_multiple region", "regions", ("Regions of work", "Régions d'intervention",
                                              "Regiones de trabajo"), required=True),
    row("end_group", ""),
    row("begin_group", "contact", ("Contact person", "Personne de contact",
                                   "Persona de contacto")),
    row("text", "contact_name", ("Name", "Nom", "Nombre"), required=True),
    row("text", "contact_email", ("E-mail", "Courriel", "Correo electrónico"), required=True,
        constraint="regex(., '^[^@ ]+@[^@ ]+[.][^@ ]+$')",
        message=("Enter an e-mail address such as name@example.org.",
                 "Saisissez une adresse telle que nom@exemple.org.",
                 "Introduzca una dirección como nombre@ejemplo.org.")),
    row("text", "comments", ("Anything else the Task Force should know?",
                             "Autre chose que l'Équipe spéciale devrait savoir ?",
                             "¿Algo más que el Grupo de Trabajo debería saber?"),
        appearance="multiline"),
    row("end_group", ""),
]

CHOICES: dict[str, list[tuple[str, T]]] = {
    "yn": [("yes", ("Yes", "Oui", "Sí")), ("no", ("No", "Non", "No"))],
    "tf_role": [("member", ("Member", "Membre", "Miembro")),
                ("observer", ("Observer", "Observateur", "Observador"))],
    "org_type": [
        ("un", ("UN entity", "Entité des Nations Unies", "Entidad de las Naciones Unidas")),
        ("intergov", ("Other intergovernmental organisation", "Autre organisation "
                      "intergouvernementale", "Otra organización intergubernamental")),
        ("network", ("SSE network or federation", "Réseau ou fédération de l'ESS",
                     "Red o federación de la ESS")),
        ("research", ("Research or academic institution", "Institution de recherche ou "
                      "universitaire", "Institución de investigación o académica")),
        ("other", ("Other", "Autre", "Otro"))],
    "activity": [
        ("research", ("Research and statistics", "Recherche et statistiques",
                      "Investigación y estadísticas")),
        ("policy", ("Policy advice", "Conseil en politiques", "Asesoramiento en políticas")),
        ("capacity", ("Capacity building", "Renforcement des capacités",
                      "Fortalecimiento de capacidades")),
        ("finance", ("Finance", "Financement", "Financiación")),
        ("advocacy", ("Advocacy", "Plaidoyer", "Incidencia")),
        ("cooperation", ("Technical cooperation", "Coopération technique",
                         "Cooperación técnica"))],
    "beneficiary": [
        ("women", ("Women", "Femmes", "Mujeres")),
        ("youth", ("Young people", "Jeunes", "Jóvenes")),
        ("informal", ("Informal economy workers", "Travailleurs de l'économie informelle",
                      "Trabajadores de la economía informal")),
        ("migrants", ("Migrants and refugees", "Migrants et réfugiés",
                      "Migrantes y refugiados")),
        ("indigenous", ("Indigenous peoples", "Peuples autochtones", "Pueblos indígenas")),
        ("rural", ("Rural communities", "Communautés rurales", "Comunidades rurales")),
        ("disability", ("Persons with disabilities", "Personnes handicapées",
                        "Personas con discapacidad"))],
    "instrument": [
        ("grants", ("Grants", "Subventions", "Subvenciones")),
        ("loans", ("Loans", "Prêts", "Préstamos")),
        ("guarantees", ("Guarantees", "Garanties", "Garantías")),
        ("equity", ("Equity", "Fonds propres", "Capital")),
        ("assistance", ("Technical assistance", "Assistance technique",
                        "Asistencia técnica"))],
    "region": [
        ("africa", ("Africa", "Afrique", "África")),
        ("americas", ("Americas", "Amériques", "Américas")),
        ("arab", ("Arab States", "États arabes", "Estados Árabes")),
        ("asia_pacific", ("Asia and the Pacific", "Asie et Pacifique", "Asia y el Pacífico")),
        ("europe", ("Europe and Central Asia", "Europe et Asie centrale",
                    "Europa y Asia Central")),
        ("global", ("Global", "Mondial", "Mundial"))],
}


def sdg_choices() -> list[tuple[str, T]]:
    with SDG_CSV.open(encoding="utf-8") as handle:
        return [(f"sdg{r['code']}", (f"{r['code']}. {r['short_en']}", f"{r['code']}. "
                 f"{r['short_fr']}", f"{r['code']}. {r['short_es']}"))
                for r in csv.DictReader(handle)]


def build(path: Path = FORM) -> Path:
    import openpyxl

    book = openpyxl.Workbook()
    survey = book.active
    survey.title = "survey"
    survey.append(HEADER)
    for r in SURVEY:
        survey.append(r)
    choices = book.create_sheet("choices")
    choices.append(["list_name", "name", *(f"label::{lang}" for lang in LANGS)])
    for list_name, items in {**CHOICES, "sdg": sdg_choices()}.items():
        for name, label in items:
            choices.append([list_name, name, *label])
    settings = book.create_sheet("settings")
    settings.append(["form_title", "form_id", "version", "default_language"])
    settings.append(["UNTFSSE members and observers survey", "untfsse_survey", "2026-11",
                     "English (en)"])
    # A fixed timestamp, so that rebuilding an unchanged form gives the same bytes.
    import datetime as dt

    stamp = dt.datetime(2026, 11, 1)
    book.properties.created = book.properties.modified = stamp
    book.save(path)
    return path


if __name__ == "__main__":
    print(build())
