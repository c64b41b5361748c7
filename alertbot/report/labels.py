"""The report's wording in Chinese (the default) and English."""

from __future__ import annotations

from collections.abc import Mapping

_LABELS: Mapping[str, tuple[str, str]] = {
    # titles
    "report.title": ("alertbot 海外知识产权风险报告 {period}", "alertbot overseas IP risk report {period}"),
    "report.title.enterprise": (
        "alertbot 海外知识产权风险报告 {period} — {name}",
        "alertbot overseas IP risk report {period} — {name}",
    ),
    "report.generated": ("生成时间", "Generated"),
    "report.scope": ("范围", "Scope"),
    "report.scope.all": ("全部企业", "all enterprises"),
    "report.period": ("报告期", "Period"),
    "report.as_of": ("截止日期计算基准日", "Deadlines counted from"),
    # summary figures
    "sum.raised": ("新增预警", "Alerts raised"),
    "sum.confirmed": ("已确认", "Confirmed"),
    "sum.dismissed": ("已驳回", "Dismissed"),
    "sum.escalated": ("已上报", "Escalated"),
    "sum.untouched": ("未处理", "Untouched"),
    "sum.triaged": ("已处理", "Triaged"),
    "sum.median": ("处理时长中位数（小时）", "Triage time, median (hours)"),
    "sum.p90": ("处理时长 P90（小时）", "Triage time, p90 (hours)"),
    "sum.serial": ("连续申请人", "Serial filers"),
    "sum.deadlines": ("30 天内到期且无人处理的异议期", "Opposition deadlines in 30 days, not acted on"),
    "sum.booths": ("展会可疑展位", "Flagged expo booths"),
    "sum.runs": ("采集运行次数", "Crawl runs"),
    "sum.run_failures": ("采集失败次数", "Failed crawl runs"),
    "sum.records": ("采集记录数", "Records crawled"),
    "sum.figure": ("指标", "Figure"),
    "sum.value": ("数值", "Value"),
    # sheets / tables
    "table.summary": ("汇总", "Summary"),
    "table.by_enterprise": ("按企业", "By enterprise"),
    "table.by_office": ("按局或展会", "By office or show"),
    "table.by_country": ("按申请人国家", "By applicant country"),
    "table.by_risk": ("按风险", "By risk"),
    "table.alerts": ("预警明细", "Alerts"),
    "table.triage_times": ("处理时长", "Triage times"),
    "table.serial_filers": ("连续申请人", "Serial filers"),
    "table.deadlines": ("即将到期的异议期", "Deadlines"),
    "table.booths": ("展会可疑展位", "Flagged booths"),
    "table.sources": ("数据源运行情况", "Source health"),
    "table.charts": ("图表", "Charts"),
    # columns
    "col.enterprise": ("企业", "Enterprise"),
    "col.enterprise_id": ("企业编号", "Enterprise id"),
    "col.office": ("商标局/展会", "Office or show"),
    "col.country": ("申请人国家", "Applicant country"),
    "col.risk": ("风险", "Risk"),
    "col.status": ("状态", "Status"),
    "col.raised": ("新增预警", "Raised"),
    "col.confirmed": ("已确认", "Confirmed"),
    "col.dismissed": ("已驳回", "Dismissed"),
    "col.escalated": ("已上报", "Escalated"),
    "col.untouched": ("未处理", "Untouched"),
    "col.alert": ("预警编号", "Alert"),
    "col.raised_at": ("预警时间", "Raised at"),
    "col.kind": ("类型", "Kind"),
    "col.mark": ("命中商标", "Watched mark"),
    "col.record": ("记录内容", "Record"),
    "col.applicant": ("申请人", "Applicant"),
    "col.deadline": ("异议截止日", "Opposition deadline"),
    "col.days_left": ("剩余天数", "Days left"),
    "col.source": ("来源", "Source"),
    "col.link": ("链接", "Link"),
    "col.group": ("分组", "Group"),
    "col.triaged": ("已处理", "Triaged"),
    "col.median_h": ("中位数（小时）", "Median (hours)"),
    "col.p90_h": ("P90（小时）", "p90 (hours)"),
    "col.variants": ("申请人名称变体", "Applicant-name variants"),
    "col.alerts": ("预警数", "Alerts"),
    "col.enterprises": ("涉及企业数", "Enterprises"),
    "col.marks": ("涉及商标", "Marks"),
    "col.countries": ("国家", "Countries"),
    "col.show": ("展会届次", "Show edition"),
    "col.hall": ("展馆", "Hall"),
    "col.booth": ("展位", "Booth"),
    "col.exhibitor": ("展商", "Exhibitor"),
    "col.outcome": ("处理结果", "Outcome"),
    "col.runs": ("运行次数", "Runs"),
    "col.runs_ok": ("成功", "OK"),
    "col.runs_partial": ("部分成功", "Partial"),
    "col.runs_failed": ("失败", "Failed"),
    "col.records_seen": ("记录数", "Records seen"),
    "col.records_new": ("新记录", "New records"),
    "col.quarantined": ("隔离记录", "Quarantined"),
    "col.errors": ("错误数", "Errors"),
    "col.last_run": ("最近运行", "Last run"),
    "col.last_error": ("最近错误", "Last error"),
    "col.month": ("月份", "Month"),
    "col.all": ("全部", "All"),
    # values
    "risk.high": ("高", "high"),
    "risk.medium": ("中", "medium"),
    "risk.low": ("低", "low"),
    "status.new": ("未处理", "untouched"),
    "status.confirmed": ("已确认", "confirmed"),
    "status.dismissed": ("已驳回", "dismissed"),
    "status.escalated": ("已上报", "escalated"),
    "kind.trademark": ("商标", "trademark"),
    "kind.patent": ("专利", "patent"),
    "kind.exhibitor": ("展商", "exhibitor"),
    "unknown": ("未知", "unknown"),
    # charts
    "chart.by_month": ("每月新增预警（按风险）", "Alerts per month by risk"),
    "chart.by_office": ("预警数（按商标局/展会）", "Alerts by office or show"),
    "chart.by_country": ("预警数（按申请人国家）", "Alerts by applicant country"),
    "chart.triage": ("预警处理结果", "Triage outcomes"),
    "chart.count": ("预警数", "Alerts"),
    "chart.other": ("其他", "other"),
    # e-mail
    "mail.subject": ("alertbot 月度报告 {period}", "alertbot monthly report {period}"),
    "mail.intro": (
        "{period} 报告见附件 {filename}（汇总、各分表与图表）。",
        "The report for {period} is attached as {filename} (summary, one sheet per table, charts).",
    ),
    "mail.footer": (
        "沈阳分中心 alertbot 自动生成；数据来自公开公报与展会名录。",
        "Generated by alertbot for the Shenyang branch; data from public gazettes and expo lists.",
    ),
    "md.none": ("（无）", "(none)"),
}

LANGUAGES = ("zh", "en")

# Countries the centre's sources name most, by ISO code: (Chinese name, the spellings sources use besides the
# code). Expo lists give 中国/中國 where gazettes give CN; the report counts them as one country.
COUNTRIES: Mapping[str, tuple[str, tuple[str, ...]]] = {
    "CN": ("中国", ("中国", "中國", "CHINA", "PRC", "PEOPLE'S REPUBLIC OF CHINA", "中华人民共和国")),
    "HK": ("中国香港", ("香港", "HONG KONG")),
    "TW": ("中国台湾", ("台湾", "臺灣", "TAIWAN")),
    "US": ("美国", ("美国", "美國", "USA", "UNITED STATES", "UNITED STATES OF AMERICA")),
    "JP": ("日本", ("日本", "JAPAN")),
    "KR": ("韩国", ("韩国", "韓國", "KOREA", "SOUTH KOREA", "REPUBLIC OF KOREA")),
    "DE": ("德国", ("德国", "德國", "GERMANY")),
    "SG": ("新加坡", ("新加坡", "SINGAPORE")),
    "GB": ("英国", ("英国", "英國", "UNITED KINGDOM", "UK")),
    "FR": ("法国", ("法国", "FRANCE")),
    "IT": ("意大利", ("意大利", "ITALY")),
    "PL": ("波兰", ("波兰", "POLAND")),
    "RU": ("俄罗斯", ("俄罗斯", "RUSSIA")),
    "IN": ("印度", ("印度", "INDIA")),
    "VN": ("越南", ("越南", "VIETNAM", "VIET NAM")),
    "TH": ("泰国", ("泰国", "THAILAND")),
    "MY": ("马来西亚", ("马来西亚", "MALAYSIA")),
    "AE": ("阿联酋", ("阿联酋", "UNITED ARAB EMIRATES", "UAE")),
}
_COUNTRY_CODES = {spelling: code for code, (_, spellings) in COUNTRIES.items() for spelling in spellings}


def country_code(value: str | None) -> str:
    """The ISO code of a country as a source wrote it (``中國`` → ``CN``); unknown spellings upper-cased."""
    text = " ".join((value or "").split()).upper()
    return _COUNTRY_CODES.get(text, text)


def country_label(code: str, lang: str) -> str:
    """``中国（CN）`` in Chinese, the code in English; unknown codes as they are."""
    if not code:
        return label("unknown", lang)
    if lang == "zh" and code in COUNTRIES:
        return f"{COUNTRIES[code][0]}（{code}）"
    return code


# Offices by the code records carry (WIPO ST.3: EM is the EU trade mark office, WO the International Bureau,
# EP the European Patent Office; national offices by country): (Chinese name, the name the office goes by in
# English, usually its acronym). The acronym stays in the Chinese label: it is what the registers and the
# links show.
OFFICES: Mapping[str, tuple[str, str]] = {
    "EM": ("欧盟知识产权局", "EUIPO"),
    "EU": ("欧盟知识产权局", "EUIPO"),
    "WO": ("世界知识产权组织", "WIPO"),
    "IB": ("世界知识产权组织", "WIPO"),
    "EP": ("欧洲专利局", "EPO"),
    "US": ("美国专利商标局", "USPTO"),
    "KR": ("韩国知识产权局", "KIPO"),
    "JP": ("日本特许厅", "JPO"),
    "CN": ("中国国家知识产权局", "CNIPA"),
    "HK": ("香港知识产权署", "HKIPD"),
    "TW": ("台湾地区知识产权主管机构", "TIPO"),
    "GB": ("英国知识产权局", "UKIPO"),
    "DE": ("德国专利商标局", "DPMA"),
    "FR": ("法国国家工业产权局", "INPI France"),
    "IT": ("意大利专利商标局", "UIBM"),
    "ES": ("西班牙专利商标局", "OEPM"),
    "BX": ("比荷卢知识产权局", "BOIP"),
    "PL": ("波兰专利局", "UPRP"),
    "RU": ("俄罗斯联邦知识产权局", "Rospatent"),
    "IN": ("印度专利商标局", "CGPDTM"),
    "SG": ("新加坡知识产权局", "IPOS"),
    "VN": ("越南知识产权局", "IP Viet Nam"),
    "TH": ("泰国知识产权厅", "DIP Thailand"),
    "MY": ("马来西亚知识产权局", "MyIPO"),
    "AU": ("澳大利亚知识产权局", "IP Australia"),
    "CA": ("加拿大知识产权局", "CIPO"),
    "BR": ("巴西国家工业产权局", "INPI Brazil"),
    "MX": ("墨西哥工业产权局", "IMPI"),
    "AE": ("阿联酋经济部", "UAE MoE"),
}


def office_label(code: str, lang: str) -> str:
    """An office by name: ``欧盟知识产权局（EUIPO）`` in Chinese, ``EUIPO`` in English. Anything else in the
    office column (a show edition's name, a code we do not know) is shown as it is."""
    if not code:
        return label("unknown", lang)
    known = OFFICES.get(code.strip().upper())
    if known is None:
        return code
    zh, en = known
    return f"{zh}（{en}）" if lang == "zh" else en


def check_lang(lang: str) -> str:
    """``lang`` when it is ``zh`` or ``en``; raises :class:`ValueError` otherwise."""
    if lang not in LANGUAGES:
        raise ValueError(f"language {lang!r} is not one of {', '.join(LANGUAGES)}")
    return lang


def label(key: str, lang: str, **values: object) -> str:
    """The wording of ``key`` in ``lang``, with ``{placeholders}`` filled from ``values``."""
    zh, en = _LABELS[key]
    text = en if lang == "en" else zh
    return text.format(**values) if values else text


def value_label(prefix: str, value: str | None, lang: str) -> str:
    """A coded value (``risk.high``, ``status.new``) in words; unknown codes are shown as they are."""
    if not value:
        return label("unknown", lang)
    key = f"{prefix}.{value}"
    return label(key, lang) if key in _LABELS else value
