"""Rebuild the bundled samples from /work/shared/formats plus the constructed squat records below.

Run from the repository root: ``python spiders/samples/build_samples.py [/path/to/shared/formats]``.
Every constructed record is marked as such in its XML and listed in README.md.
"""

from __future__ import annotations

import re
import sys
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
FORMATS = Path(sys.argv[1]) if len(sys.argv) > 1 else HERE.parents[2] / "shared" / "formats"

# ---- USPTO: constructed daily file with squats of watched marks -------------------------------------
USPTO_CASE = """
                <case-file>
                    <serial-number>{serial}</serial-number>
                    <registration-number>0000000</registration-number>
                    <transaction-date>{day}</transaction-date>
                    <case-file-header>
                        <filing-date>{filed}</filing-date>
                        <status-code>{status}</status-code>
                        <status-date>{day}</status-date>
                        <mark-identification>{mark}</mark-identification>
                        <mark-drawing-code>4</mark-drawing-code>
                        {published}
                    </case-file-header>
                    <case-file-statements>
                        <case-file-statement>
                            <type-code>GS{cls:04d}1</type-code>
                            <text>{goods}</text>
                        </case-file-statement>
                    </case-file-statements>
                    <classifications>
                        <classification>
                            <international-code-total-no>1</international-code-total-no>
                            <international-code>{cls:03d}</international-code>
                            <status-code>6</status-code>
                        </classification>
                    </classifications>
                    <case-file-owners>
                        <case-file-owner>
                            <entry-number>01</entry-number>
                            <party-type>10</party-type>
                            <nationality>
<country>{country}</country>
                            </nationality>
                            <legal-entity-type-code>03</legal-entity-type-code>
                            <party-name>{owner}</party-name>
                            <city>{city}</city>
                            <country>{country}</country>
                        </case-file-owner>
                    </case-file-owners>
                </case-file>"""


def uspto_constructed() -> bytes:
    day = "20261125"
    siasun = USPTO_CASE.format(
        serial="99900001",
        day=day,
        filed="20261124",
        status="630",
        mark="SIASUN ROBOTICS",
        published="",
        cls=7,
        goods="Industrial robots; robotic arms for industrial purposes",
        owner="Robotix Trade LLC",
        city="Wilmington",
        country="US",
    )
    neusoft = USPTO_CASE.format(
        serial="99900002",
        day=day,
        filed="20260310",
        status="686",
        mark="NEUSOFT MEDICAL",
        published="<published-for-opposition-date>20261124</published-for-opposition-date>",
        cls=10,
        goods="Medical imaging apparatus; CT scanners",
        owner="Shenzhen Newsoft Trading Co., Ltd.",
        city="Shenzhen",
        country="CN",
    )
    unrelated = USPTO_CASE.format(
        serial="99900003",
        day=day,
        filed="20261124",
        status="630",
        mark="MAPLE CREEK COFFEE",
        published="",
        cls=30,
        goods="Coffee; coffee beans",
        owner="Maple Creek Roasters Inc.",
        city="Portland",
        country="US",
    )
    return f"""<?xml version="1.0" encoding="utf-8"?>
<!-- CONSTRUCTED sample for `alertbot demo` (spiders/samples/README.md): fictitious case files in the
     USPTO Trademark Daily XML structure; serials 999xxxxx do not exist. -->
<trademark-applications-daily>
    <version>
        <version-no>2.0</version-no>
        <version-date>20041108</version-date>
    </version>
    <creation-datetime>202611252348</creation-datetime>
    <application-information>
        <file-segments>
            <file-segment>TRMK</file-segment>
            <action-keys>
                <action-key>NA</action-key>{siasun}{unrelated}
            </action-keys>
            <action-keys>
                <action-key>TX</action-key>{neusoft}
            </action-keys>
        </file-segments>
    </application-information>
</trademark-applications-daily>
""".encode()


# ---- ST.66: constructed EUTM delta with squats, plus a matching applicant file ----------------------
EUTM_MARK = """
          <TradeMark operationCode="Insert">
            <RegistrationOfficeCode>EM</RegistrationOfficeCode>
            <ApplicationNumber>{number}</ApplicationNumber>
            <ApplicationDate>{filed}</ApplicationDate>
            <MarkCurrentStatusCode>{status}</MarkCurrentStatusCode>
            <KindMark>Individual</KindMark>
            <MarkFeature>Word</MarkFeature>
            <WordMarkSpecification>
              <MarkVerbalElementText>{mark}</MarkVerbalElementText>
            </WordMarkSpecification>
            <GoodsServicesDetails><GoodsServices><ClassDescriptionDetails><ClassDescription>
              <ClassNumber>{cls}</ClassNumber>
              <GoodsServicesDescription languageCode="en">{goods}</GoodsServicesDescription>
            </ClassDescription></ClassDescriptionDetails></GoodsServices></GoodsServicesDetails>
            {publication}
            <ApplicantDetails><ApplicantKey><Identifier>{applicant}</Identifier></ApplicantKey></ApplicantDetails>
          </TradeMark>"""

EUTM_APPLICANT = """
<Applicant xmlns="http://www.euipo.europa.eu/EUTM/EUTM_Download" operationCode="Insert">
  <ApplicantIdentifier>{id}</ApplicantIdentifier>
  <ApplicantLegalEntity>Legal entity</ApplicantLegalEntity>
  <ApplicantAddressBook><FormattedNameAddress>
    <Name><FormattedName><OrganizationName>{name}</OrganizationName></FormattedName></Name>
    <Address><AddressCountryCode>{country}</AddressCountryCode></Address>
  </FormattedNameAddress></ApplicantAddressBook>
</Applicant>"""


def eutm_constructed() -> tuple[bytes, bytes]:
    zwz = EUTM_MARK.format(
        number="019990010",
        filed="2026-08-03",
        status="Application published",
        mark="ZWZ BEARINGS",
        cls=7,
        goods="Roller bearings; ball bearings for machines",
        applicant="990010",
        publication="<PublicationDetails><Publication><PublicationIdentifier>2026/221</PublicationIdentifier>"
        "<PublicationSection>A.1</PublicationSection><PublicationDate>2026-11-20</PublicationDate>"
        "</Publication></PublicationDetails>",
    )
    brilliance = EUTM_MARK.format(
        number="019990011",
        filed="2026-11-18",
        status="Application filed",
        mark="BRILLIANCE AUTO",
        cls=12,
        goods="Automobiles; parts of automobiles",
        applicant="990011",
        publication="",
    )
    marks = f"""<?xml version="1.0" encoding="UTF-8"?>
<!-- CONSTRUCTED sample for `alertbot demo` (spiders/samples/README.md): fictitious EUTM records. -->
<Transaction xmlns="http://www.euipo.europa.eu/EUTM/EUTM_Download">
  <TradeMarkTransactionBody><TransactionContentDetails><TransactionData><TradeMarkDetails>{zwz}{brilliance}
  </TradeMarkDetails></TransactionData></TransactionContentDetails></TradeMarkTransactionBody>
</Transaction>
""".encode()
    applicants = (
        '<?xml version="1.0" encoding="UTF-8"?>\n<!-- CONSTRUCTED, fictitious applicants for the demo EUTM records. -->\n'
        "<Applicants>"
        + EUTM_APPLICANT.format(id="990010", name="Bearing World Handels GmbH", country="DE")
        + EUTM_APPLICANT.format(id="990011", name="Brilliant Motors Sp. z o.o.", country="PL")
        + "\n</Applicants>\n"
    ).encode()
    return marks, applicants


KIPRIS_ITEM = """<item>
<!-- CONSTRUCTED item for `alertbot demo` (spiders/samples/README.md); fictitious. -->
<agentName/>
<applicantName>(주)뉴소프트코리아</applicantName>
<applicationDate>20260601</applicationDate>
<applicationNumber>4020269999001</applicationNumber>
<applicationStatus>공고</applicationStatus>
<classificationCode>09 42</classificationCode>
<publicationDate>20261120</publicationDate>
<publicationNumber>4020269999101</publicationNumber>
<title>NEUSOFT</title>
</item>
"""


def write_zip(path: Path, members: dict[str, bytes]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(
                zipfile.ZipInfo(name, date_time=(2026, 11, 27, 0, 0, 0)), data, zipfile.ZIP_DEFLATED
            )


def main() -> None:
    real = {
        name: (FORMATS / name).read_bytes()
        for name in (
            "uspto-tm-daily.sample.xml",
            "uspto-patent-app.sample.xml",
            "wipo-st66.sample.xml",
            "euipo-eutm-applicants.sample.xml",
            "st66-tmview-ro.sample.xml",
            "epo-ops-biblio.sample.xml",
            "epo-ep-publication.sample.xml",
            "kipris-trademark-search.sample.xml",
        )
    }
    write_zip(HERE / "uspto_tm_daily" / "apc240925.zip", {"apc240925.xml": real["uspto-tm-daily.sample.xml"]})
    write_zip(HERE / "uspto_tm_daily" / "apc261125.zip", {"apc261125.xml": uspto_constructed()})
    write_zip(
        HERE / "uspto_patent_app" / "ipa220728.zip", {"ipa220728.xml": real["uspto-patent-app.sample.xml"]}
    )
    marks, applicants = eutm_constructed()
    write_zip(
        HERE / "st66" / "EUTM-20261125.zip",
        {
            "EM_APPLICANT_sample.xml": real["euipo-eutm-applicants.sample.xml"],
            "EM_APPLICANT_demo.xml": applicants,
            "EM_TRADEMARK_sample.xml": real["wipo-st66.sample.xml"],
            "EM_TRADEMARK_demo.xml": marks,
            "RO_M201200091.xml": real["st66-tmview-ro.sample.xml"],
        },
    )
    (HERE / "epo_ops").mkdir(exist_ok=True)
    (HERE / "epo_ops" / "ops-biblio.xml").write_bytes(real["epo-ops-biblio.sample.xml"])
    (HERE / "epo_ops" / "EP18877305NWA1.xml").write_bytes(real["epo-ep-publication.sample.xml"])
    kipris = re.sub(
        rb"</items>", KIPRIS_ITEM.encode() + b"</items>", real["kipris-trademark-search.sample.xml"]
    )
    (HERE / "kipris_tm").mkdir(exist_ok=True)
    (HERE / "kipris_tm" / "kipris-search.xml").write_bytes(kipris)


if __name__ == "__main__":
    main()
