"""The one redaction layer: no configured secret (and no token-shaped URL part) in a log, stored error or message.

Everything that writes text somewhere others read goes through :func:`redact`:

* **logs** — :func:`install_log_redaction` wraps the log-record factory, so every record of every logger
  (ours, httpx, python-telegram-bot, Scrapy in the crawl subprocess) is masked when it is created, whatever
  handler later writes it; tracebacks are formatted and masked at the same moment;
* **stored errors** — :func:`redact_columns` makes the ORM mask error columns when a row is written
  (``delivery.last_error``, ``crawlrun.error_detail``, ``source.last_error``, quarantine reasons, audit notes);
* **CLI output and messages** — the callers pass printed errors and staff notices through :func:`redact`.

What is masked:

* the value of every ``SecretStr`` setting (Telegram token, SMTP password, WeCom key, DingTalk token and
  secret, Feishu token and secret, USPTO / EPO / KIPRIS keys), also URL-encoded, plus the password of any
  URL setting (``postgresql://user:password@…``);
* token-shaped parts of URLs and messages even when not configured here: ``/bot<id>:<token>/``,
  ``key=``, ``access_token=``, ``ServiceKey=``, ``sign=``, ``secret=``, ``token=``, ``password=``, ``apikey=``
  query values, Feishu ``/hook/<token>``, URL user-info passwords, ``Bearer`` credentials and
  python-telegram-bot's ``The token `…` was rejected``.

Secrets shorter than :data:`MIN_SECRET_LENGTH` characters are not masked by value (they would mask ordinary
words); the patterns above still apply.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, quote_plus, urlsplit

from pydantic import SecretStr

if TYPE_CHECKING:
    from alertbot.settings import Settings

MASK = "***"
MIN_SECRET_LENGTH = 4

_QUERY_SECRET = re.compile(
    r"(?i)(?P<name>[?&;\s\"'](?:key|access_token|servicekey|service_key|token|sign|signature|secret|"
    r"password|passwd|apikey|api_key|x-api-key|consumer_key|consumer_secret|client_secret)=)"
    r"(?P<value>[^&\s\"'<>#;]+)"
)
# (cheap hint that must be in the lower-cased text, pattern, replacement): the hint skips most patterns on most
# log lines, which keeps the masking of every record cheap.
_PATTERNS: tuple[tuple[str, re.Pattern[str], str], ...] = (
    # Telegram Bot API paths: https://api.telegram.org/bot123456:ABC-def/sendMessage
    ("/bot", re.compile(r"/bot\d+:[A-Za-z0-9_-]+"), f"/bot{MASK}"),
    # Feishu custom bot hooks: /open-apis/bot/v2/hook/<uuid token>
    ("/hook/", re.compile(r"(/hook/)[A-Za-z0-9_-]{6,}"), rf"\g<1>{MASK}"),
    # Passwords in URL user-info: scheme://user:password@host
    ("://", re.compile(r"(://[^/\s:@]*:)[^@\s/]+@"), rf"\g<1>{MASK}@"),
    ("bearer", re.compile(r"(?i)(\bbearer\s+)[A-Za-z0-9._~+/=-]+"), rf"\g<1>{MASK}"),
    # python-telegram-bot: "The token `123:abc` was rejected by the server."
    ("token", re.compile(r"(?i)(token\s*`)[^`]*(`)"), rf"\g<1>{MASK}\g<2>"),
)


def _variants(secret: str) -> set[str]:
    # A key in a URL is percent-encoded (KIPRIS keys carry '+', '/', '='), so mask those spellings too.
    return {secret, quote(secret, safe=""), quote_plus(secret), quote(secret)}


def secret_values(settings: Settings) -> list[str]:
    """Every secret configured in ``settings``: the ``SecretStr`` fields and passwords inside URL settings."""
    values: list[str] = []
    for name in type(settings).model_fields:
        value = getattr(settings, name, None)
        if isinstance(value, SecretStr):
            values.append(value.get_secret_value())
        elif isinstance(value, str) and "://" in value:
            try:
                password = urlsplit(value).password
            except ValueError:
                password = None
            if password:
                values.append(password)
    return [part for value in values if value for part in _parts(value)]


_URL_PIECES = re.compile(r"[,\s/@:?&=#;]+")


def _parts(secret: str) -> list[str]:
    # A secret may hold several URLs (ALERTBOT_APPRISE_URLS = "NAME=tgram://token/chat,..."): an error quoting
    # one URL, or one token of it, must be masked too. Token-like pieces: 8+ chars with a digit or mixed case, or 16+ chars.
    parts = [secret]
    if "://" in secret:
        for item in re.split(r"[,\s]+", secret):
            url = item.split("=", 1)[1] if re.match(r"^[\w-]+=\w+://", item) else item
            parts.append(url)
            rest = url.split("://", 1)[-1]
            parts += [
                piece
                for piece in _URL_PIECES.split(rest)
                if len(piece) >= 8 and (_token_like(piece) or len(piece) >= 16)
            ]
    return parts


def _token_like(piece: str) -> bool:
    return any(c.isdigit() for c in piece) or (piece.lower() != piece and piece.upper() != piece)


class Redactor:
    """Masks a fixed set of secret values plus the token-shaped patterns."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        spellings = {
            variant
            for secret in secrets
            if len(secret) >= MIN_SECRET_LENGTH
            for variant in _variants(secret)
            if len(variant) >= MIN_SECRET_LENGTH
        }
        # Longest first, so a secret containing another is masked whole.
        ordered = sorted(spellings, key=len, reverse=True)
        self._secrets = re.compile("|".join(map(re.escape, ordered))) if ordered else None

    def __call__(self, text: str) -> str:
        if self._secrets is not None:
            text = self._secrets.sub(MASK, text)
        lowered = text.lower()
        if "=" in text:
            text = _QUERY_SECRET.sub(lambda m: m.group("name") + MASK, text)
        for hint, pattern, replacement in _PATTERNS:
            if hint in lowered:
                text = pattern.sub(replacement, text)
        return text


_lock = threading.Lock()
_extra: set[str] = set()
_cache: tuple[object, frozenset[str], Redactor] | None = None


def register_secret(value: str | SecretStr | None) -> None:
    """Mask ``value`` too (a secret that does not come from the settings, e.g. a channel built in code)."""
    text = value.get_secret_value() if isinstance(value, SecretStr) else value
    if text:
        global _cache
        with _lock:
            _extra.add(text)
            _cache = None


def current_redactor() -> Redactor:
    """The redactor for this process's settings (rebuilt when the settings object or registered set change)."""
    global _cache
    from alertbot.settings import get_settings

    try:
        settings = get_settings()
    except Exception:  # unreadable settings must never stop an error from being reported
        settings = None
    with _lock:
        extra = frozenset(_extra)
        # The cache holds the settings object itself (not its id, which a new object could reuse).
        if _cache is not None and _cache[0] is settings and _cache[1] == extra:
            return _cache[2]
        secrets = [*(secret_values(settings) if settings is not None else []), *extra]
        redactor = Redactor(secrets)
        _cache = (settings, extra, redactor)
        return redactor


def redact(text: object) -> str:
    """``text`` (any object, as ``str()``) with every known secret and token-shaped part masked."""
    return current_redactor()(str(text))


def redact_optional(text: str | None) -> str | None:
    """Like :func:`redact`, keeping ``None``."""
    return None if text is None else redact(text)


# -- logs ----------------------------------------------------------------------------------------------------
_formatter = logging.Formatter()
_installed = False


_busy = threading.local()


def _redact_record(record: logging.LogRecord) -> logging.LogRecord:
    if getattr(_busy, "active", False):  # a record logged while reading the settings for redaction
        return record
    _busy.active = True
    try:
        return _mask_record(record)
    finally:
        _busy.active = False


def _mask_record(record: logging.LogRecord) -> logging.LogRecord:
    try:
        message = record.getMessage()
    except Exception:  # a bad format string: keep the raw parts, masked
        message = f"{record.msg!r} {record.args!r}"
    record.msg = redact(message)
    record.args = None
    if record.exc_info and not record.exc_text:
        # Formatters use exc_text when it is set, so the traceback is written masked.
        record.exc_text = redact(_formatter.formatException(record.exc_info))
    if record.stack_info:
        record.stack_info = redact(record.stack_info)
    return record


class RedactingFilter(logging.Filter):
    """A filter that masks a record in place (for handlers created before :func:`install_log_redaction`)."""

    def filter(self, record: logging.LogRecord) -> bool:
        _redact_record(record)
        return True


def install_log_redaction() -> None:
    """Mask every log record of this process from now on (idempotent).

    The record factory is wrapped rather than one handler filtered: records reach many handlers (stderr, files,
    Scrapy's root handler, pytest's capture), and a filter on one logger does not see its children's records.
    Loud HTTP client loggers are lowered to WARNING: at INFO httpx logs every request URL.
    """
    global _installed
    with _lock:
        if _installed:
            return
        _installed = True
        previous: Callable[..., logging.LogRecord] = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        return _redact_record(previous(*args, **kwargs))

    logging.setLogRecordFactory(factory)
    for name in ("httpx", "httpcore"):
        logger = logging.getLogger(name)
        if logger.level == logging.NOTSET or logger.level < logging.WARNING:
            logger.setLevel(logging.WARNING)


# -- stored errors -------------------------------------------------------------------------------------------
def redact_columns(*columns: Any) -> None:
    """Mask the values of these ORM columns (``Model.field``) whenever a row is inserted or updated.

    Mapper events, not attribute events: SQLModel writes the raw value into the instance again after
    SQLAlchemy's attribute event, so only a flush-time hook sees what is really stored.
    """
    from sqlalchemy import event

    by_class: dict[type[Any], list[str]] = {}
    for column in columns:
        by_class.setdefault(column.class_, []).append(column.key)
    for model, names in by_class.items():
        registered = _masked_columns.setdefault(model, [])
        fresh = [name for name in names if name not in registered]
        registered.extend(fresh)
        if fresh and len(registered) == len(fresh):  # first columns of this model: hook it once
            event.listen(model, "before_insert", _mask_row)
            event.listen(model, "before_update", _mask_row)


_masked_columns: dict[type[Any], list[str]] = {}


def _mask_row(mapper: Any, connection: Any, target: Any) -> None:
    for name in _masked_columns.get(type(target), ()):
        value = getattr(target, name, None)
        if isinstance(value, str):
            masked = redact(value)
            if masked != value:
                setattr(target, name, masked)


__all__ = [
    "MASK",
    "RedactingFilter",
    "Redactor",
    "install_log_redaction",
    "redact",
    "redact_columns",
    "redact_optional",
    "register_secret",
    "secret_values",
]
