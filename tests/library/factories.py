"""Documents for the ingestion tests, generated in code (fpdf2, python-docx, zipfile, pypdf).

Nothing here imports our own code: the tests feed these bytes to the real pipeline.
"""

from __future__ import annotations

import datetime as dt
import html
import io
import random
import zipfile

REPORT_A = [
    "Social and solidarity economy enterprises and decent work in West Africa",
    "Cooperatives, mutual societies and associations play a growing part in the economies of "
    "West Africa. This report looks at how social and solidarity economy organisations create "
    "jobs, formalise informal workers and extend social protection to people who were left "
    "outside of it. It draws on interviews with two hundred cooperative members in Senegal, "
    "Mali and Burkina Faso, carried out between 2019 and 2022, and on administrative records "
    "kept by national cooperative federations.",
    "The first finding concerns income. Members of savings and credit cooperatives reported "
    "steadier household income than comparable non-members, mostly because they could smooth "
    "consumption through small loans during the lean season. Women members in particular used "
    "group savings to start market trading and food processing activities, which in turn "
    "created a small number of paid jobs for relatives and neighbours.",
    "The second finding concerns social protection. Mutual health organisations reached rural "
    "households that the national insurance scheme did not cover, at a premium that most "
    "members described as affordable. Their financial sustainability remained fragile, "
    "however, because claims rose sharply in years of drought and epidemic disease, while "
    "contributions fell when harvests failed.",
    "The third finding concerns governance. Democratic control, one member one vote, was "
    "respected in general assemblies, but boards were often dominated by older men, and "
    "younger members felt that their proposals were rarely taken up. Training programmes "
    "supported by the International Labour Organization improved bookkeeping and "
    "transparency, and members trusted their organisations more after audits were published.",
    "Public policy matters. Where a framework law on the social and solidarity economy had "
    "been adopted, cooperatives found it easier to register, to open bank accounts and to "
    "take part in public procurement. Local governments that set aside a share of school "
    "meal contracts for cooperatives of women farmers created stable demand, and the "
    "cooperatives invested in storage and transport as a result.",
    "We recommend that governments recognise the social and solidarity economy in national "
    "employment strategies, that development partners fund the federations that give "
    "cooperatives technical support, and that statistics offices count cooperative "
    "employment in labour force surveys, so that its contribution to Sustainable "
    "Development Goal 8 on decent work and economic growth becomes visible.",
    "Methodological annex. The sample was drawn from the member registers of forty "
    "cooperatives chosen to represent agriculture, savings and credit, handicraft and "
    "health. Interviews followed a common questionnaire translated into Wolof, Bambara and "
    "Mooré, and answers were coded by two researchers independently; disagreements were "
    "settled by discussion. Limitations include the reliance on self-reported income and "
    "the small number of urban cooperatives in the sample.",
    "Case study: a women's shea butter cooperative. Founded in 2009 by thirty women in a village "
    "near Bobo-Dioulasso, the cooperative now counts four hundred members who collect, dry and "
    "press shea nuts. A fair trade certificate obtained in 2016 opened European markets and "
    "raised the price paid to members by a third. The cooperative pays for literacy classes "
    "and a small health fund out of its surplus, and its president sits on the regional "
    "chamber of agriculture, where she argues for access to land for women producers.",
    "Case study: a transport workers' mutual in Dakar. Motorcycle taxi drivers, who are almost "
    "all informal workers, created a mutual society to share the cost of accidents and "
    "repairs. Within five years it had negotiated a group insurance contract, a parking "
    "agreement with the municipality and a training course on road safety. Drivers who joined "
    "reported fewer days without income after an accident than drivers who did not.",
]

REPORT_C = [
    # Same series, same template and annex as REPORT_A, a different country and findings:
    # a different work that shares boilerplate, which must NOT be merged with REPORT_A.
    "Social and solidarity economy enterprises and decent work in East Africa",
    "Cooperatives, mutual societies and associations play a growing part in the economies of "
    "East Africa. This report looks at how social and solidarity economy organisations create "
    "jobs, formalise informal workers and extend social protection to people who were left "
    "outside of it. It draws on interviews with one hundred and fifty members in Kenya, "
    "Rwanda and Tanzania, carried out in 2021, and on records of the national cooperative "
    "alliances.",
    "Dairy cooperatives dominate the picture in Kenya, where they collect milk from "
    "smallholders, chill it and sell it to processors; members value the monthly payment "
    "more than the price itself. In Rwanda, coffee washing station cooperatives employ "
    "seasonal workers, most of them women, and the government has pushed for their "
    "consolidation into larger unions, which members see as both an opportunity and a loss "
    "of control.",
    "Housing cooperatives in Nairobi and Dar es Salaam offer a path to ownership for low "
    "income workers, but long delays in land titling leave many of them paying into schemes "
    "for a decade before a house is built. Digital payment platforms have lowered the cost "
    "of collecting contributions and made accounts easier for members to check.",
    "Methodological annex. The sample was drawn from the member registers of forty "
    "cooperatives chosen to represent agriculture, savings and credit, handicraft and "
    "health. Interviews followed a common questionnaire translated into Wolof, Bambara and "
    "Mooré, and answers were coded by two researchers independently; disagreements were "
    "settled by discussion. Limitations include the reliance on self-reported income and "
    "the small number of urban cooperatives in the sample.",
]

REPORT_B = [
    "Cooperatives and employment in West Africa: a policy review",
    "This policy review asks what governments in West Africa have done to support "
    "cooperatives as a source of employment. Rather than surveying members, it reads "
    "legislation, budgets and programme evaluations from Ghana, Côte d'Ivoire, Niger and "
    "Togo published since 2010, and compares them with the uniform cooperative act adopted "
    "by the Organisation for the Harmonisation of Business Law in Africa.",
    "Legislation has changed quickly. The uniform act replaced colonial-era laws and "
    "simplified registration, but many agricultural groups still operate informally because "
    "registration offices are far away and the fees are high compared with their turnover. "
    "Ministries rarely publish how many cooperatives are registered each year.",
    "Budgets are small. Support to cooperatives is usually a line inside the agriculture "
    "ministry, and it has shrunk in real terms in three of the four countries. Donor-funded "
    "projects fill part of the gap, yet they last three to five years and leave few lasting "
    "institutions behind when funding ends, which undermines the credibility of the state.",
    "Evaluations are scarce. Of thirty programmes identified, only seven had an independent "
    "evaluation, and only two measured jobs created. Those two found modest effects on "
    "employment, concentrated among members who already owned land or livestock, and almost "
    "no effect on young people without assets, who are the target of most employment policy.",
    "The review recommends stable funding for cooperative development agencies, decentralised "
    "registration through local government offices and mobile services, and a common "
    "monitoring framework so that employment outcomes of cooperative policy can be compared "
    "across countries and over time, in line with the targets of the 2030 Agenda.",
    "Annex on sources. Laws were collected from official gazettes, budgets from finance "
    "ministry websites and evaluations from donor repositories. Where documents were only "
    "available in French they were read in the original, and quotations were translated by "
    "the authors. Interviews with officials were not part of this review.",
]

FRENCH = (
    "L'économie sociale et solidaire regroupe les coopératives, les mutuelles, les "
    "associations et les fondations qui placent la personne au centre de leur activité. "
    "Elle crée des emplois durables dans les territoires et contribue aux objectifs de "
    "développement durable, notamment à la réduction des inégalités et au travail décent. "
    "Les pouvoirs publics peuvent la soutenir par des lois-cadres et des marchés réservés."
)
SPANISH = (
    "La economía social y solidaria agrupa a cooperativas, mutualidades, asociaciones y "
    "fundaciones que ponen a las personas en el centro de su actividad. Crea empleo digno en "
    "los territorios y contribuye a los objetivos de desarrollo sostenible, en particular a "
    "la reducción de las desigualdades y al trabajo decente. Los gobiernos pueden apoyarla "
    "con leyes marco y compras públicas responsables."
)
ENGLISH = (
    "The social and solidarity economy brings together cooperatives, mutual societies, "
    "associations and foundations that put people at the centre of their activity. It "
    "creates decent jobs in local communities and contributes to the sustainable development "
    "goals, in particular to reducing inequalities and to decent work. Governments can "
    "support it with framework laws and responsible public procurement."
)


def pdf(
    paragraphs: list[str],
    *,
    title: str | None = None,
    author: str | None = None,
    created: dt.datetime | None = None,
    heading: bool = True,
) -> bytes:
    """A real PDF written by fpdf2; the first paragraph is the heading on page one."""
    from fpdf import FPDF

    doc = FPDF()
    if title:
        doc.set_title(title)
    if author:
        doc.set_author(author)
    if created:
        doc.set_creation_date(created)
    doc.add_page()
    body = paragraphs
    if heading:
        doc.set_font("Helvetica", "B", 16)
        doc.multi_cell(0, 9, paragraphs[0])
        doc.ln(4)
        body = paragraphs[1:]
    doc.set_font("Helvetica", size=11)
    for paragraph in body:
        doc.multi_cell(0, 6, paragraph)
        doc.ln(3)
    return bytes(doc.output())


def report_pdf(paragraphs: list[str], *, series: str = "SSE Hub Working Paper 7") -> bytes:
    """A report laid out like real ones: justified lines broken by hand with hyphenated long
    words, a running header and a page-number footer on every page, over two pages or more.
    Extraction then sees line breaks, hyphens, headers and page numbers inside the text."""
    from fpdf import FPDF

    class Report(FPDF):
        def header(self):
            self.set_font("Helvetica", "I", 8)
            self.cell(0, 6, series, new_x="LMARGIN", new_y="NEXT", align="R")

        def footer(self):
            self.set_y(-15)
            self.set_font("Helvetica", "I", 8)
            self.cell(0, 10, f"Page {self.page_no()}/{{nb}}", align="C")

    doc = Report()
    doc.set_auto_page_break(True, margin=20)
    doc.add_page()
    doc.set_font("Helvetica", "B", 16)
    doc.multi_cell(0, 9, paragraphs[0], new_x="LMARGIN", new_y="NEXT")
    doc.ln(4)
    doc.set_font("Helvetica", size=12)
    width = doc.w - doc.l_margin - doc.r_margin
    for paragraph in paragraphs[1:]:
        line = ""
        for word in paragraph.split():
            candidate = f"{line} {word}".strip()
            if doc.get_string_width(candidate) <= width:
                line = candidate
                continue
            if len(word) >= 8:  # hyphenate: as much of the word as fits, then "-"
                for cut in range(len(word) - 3, 2, -1):
                    head = f"{line} {word[:cut]}-".strip()
                    if doc.get_string_width(head) <= width:
                        doc.cell(0, 7, head, new_x="LMARGIN", new_y="NEXT")
                        line = word[cut:]
                        break
                else:
                    doc.cell(0, 7, line, new_x="LMARGIN", new_y="NEXT")
                    line = word
            else:
                doc.cell(0, 7, line, new_x="LMARGIN", new_y="NEXT")
                line = word
        if line:
            doc.cell(0, 7, line, new_x="LMARGIN", new_y="NEXT")
        doc.ln(3)
    return bytes(doc.output())


def with_pdf_info(data: bytes, info: dict[str, str]) -> bytes:
    """The same PDF with its document info set by pypdf (which writes values as given)."""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
    writer.add_metadata(info)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def html_page(paragraphs: list[str], *, extra_head: str = "", extra_body: str = "") -> bytes:
    """An article page: heading, paragraphs, and some navigation noise around them."""
    esc = [html.escape(p) for p in paragraphs]
    body = "\n".join(f"<p>{p}</p>" for p in esc[1:])
    return (
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
        f"<title>{esc[0]}</title>{extra_head}</head><body>"
        "<nav><a href=\"/\">Home</a> | <a href=\"/library\">Library</a></nav>"
        f"<main><article><h1>{esc[0]}</h1>\n{body}\n</article></main>{extra_body}"
        "<footer>© SSE Hub</footer></body></html>"
    ).encode()


def docx(
    paragraphs: list[str],
    *,
    title: str = "",
    author: str = "",
    created: dt.datetime | None = None,
    keywords: str = "",
    language: str = "",
) -> bytes:
    import docx as python_docx

    document = python_docx.Document()
    document.add_heading(paragraphs[0], level=1)
    for paragraph in paragraphs[1:]:
        document.add_paragraph(paragraph)
    props = document.core_properties
    props.title = title
    props.author = author
    props.keywords = keywords
    props.language = language
    if created:
        props.created = created
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def zip_bomb_docx(inflated_bytes: int) -> bytes:
    """A DOCX-shaped zip (it has word/document.xml) with a member that inflates hugely."""
    base = docx(["A harmless looking title", "A harmless looking paragraph of text."])
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(base)) as source, zipfile.ZipFile(
        out, "w", zipfile.ZIP_DEFLATED
    ) as target:
        for info in source.infolist():
            target.writestr(info, source.read(info.filename))
        target.writestr("word/media/padding.bin", b"\0" * inflated_bytes)
    return out.getvalue()


def encrypted_pdf(user_password: str = "s3cret") -> bytes:  # noqa: S107
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    for page in PdfReader(io.BytesIO(pdf(REPORT_A, title="Secret report"))).pages:
        writer.add_page(page)
    writer.encrypt(user_password=user_password, owner_password="owner-" + user_password,
                   algorithm="RC4-128")  # AES would need the optional cryptography package
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def aes_encrypted_pdf() -> bytes:
    """A PDF whose encryption dictionary asks for AES-128 (crypt filter AESV2), with an empty
    user password, as "restricted" PDFs from office suites are. Built by rewriting the
    dictionary of an RC4-128 file, because writing real AES needs the cryptography package;
    the password check (R4) is the same MD5/RC4 one, so opening succeeds and reading the
    content needs AES."""
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import DictionaryObject, NameObject, NumberObject

    writer = PdfWriter()
    for page in PdfReader(io.BytesIO(pdf(REPORT_A))).pages:
        writer.add_page(page)
    writer.encrypt(user_password="", owner_password="owner", algorithm="RC4-128")
    encrypt = writer._encrypt_entry  # the /Encrypt dictionary pypdf is about to write
    std = DictionaryObject({
        NameObject("/CFM"): NameObject("/AESV2"),
        NameObject("/AuthEvent"): NameObject("/DocOpen"),
        NameObject("/Length"): NumberObject(16),
    })
    encrypt[NameObject("/V")] = NumberObject(4)
    encrypt[NameObject("/R")] = NumberObject(4)
    encrypt[NameObject("/CF")] = DictionaryObject({NameObject("/StdCF"): std})
    encrypt[NameObject("/StmF")] = NameObject("/StdCF")
    encrypt[NameObject("/StrF")] = NameObject("/StdCF")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def garbage(size: int = 4096, seed: int = 7) -> bytes:
    """Random binary bytes that are no known format (no magic number, has NUL bytes)."""
    rng = random.Random(seed)
    data = bytearray(rng.getrandbits(8) for _ in range(size))
    data[0:4] = b"\x00\x13\x37\x00"
    return bytes(data)


VOCABULARY = (
    "cooperative mutual association foundation enterprise worker member farmer market "
    "credit savings health housing energy water school training policy budget law region "
    "women youth rural urban fair trade finance social solidarity economy decent work "
    "income protection governance democracy community local network federation"
)


def varied(n: int, seed: int) -> list[str]:
    """A short distinct document (title + paragraphs) for batch tests."""
    rng = random.Random(seed)
    words = VOCABULARY.split()
    title = f"Document {n}: " + " ".join(rng.choice(words) for _ in range(5))
    paras = [" ".join(rng.choice(words) for _ in range(60)) + "." for _ in range(3)]
    return [title, *paras]
