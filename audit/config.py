"""One validated settings object, read from a TOML file and the environment.

Precedence, highest first: environment variables (``BEIAN_DATABASE_URL``,
``BEIAN_CRAWL__TIMEOUT``, ...), the TOML file (``beian.toml`` in the working
directory, or ``--config`` / ``BEIAN_CONFIG``), then the defaults below.

The jurisdiction is data: a :class:`Profile`. The default is 运城市 (Yuncheng,
Shanxi), shipped as ``audit/profiles/yuncheng.toml``.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import tomllib
from collections.abc import Iterable
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from audit.errors import ConfigError

DEFAULT_CONFIG_NAME = "beian.toml"
# Times are stored in UTC and shown in China Standard Time (no daylight saving).
LOCAL_TZ = dt.timezone(dt.timedelta(hours=8), "CST")
DEFAULT_PROFILE = "yuncheng"

PROVINCE_ABBREVIATIONS = frozenset(
    "京津冀晋蒙辽吉黑沪苏浙皖闽赣鲁豫鄂湘粤桂琼渝川蜀贵黔云滇藏陕甘陇青宁新"
)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Profile(_Strict):
    """The jurisdiction a centre audits."""

    name: str = Field(description="Display name, e.g. 运城市")
    province: str = Field(description="Province name, e.g. 山西省")
    province_abbr: str = Field(description="Province abbreviation used in filing numbers, e.g. 晋")
    division_prefix: str = Field(description="GB/T 2260 prefix of the jurisdiction, e.g. 1408")
    divisions: dict[str, str] = Field(
        description="County-level GB/T 2260 codes of the jurisdiction and their names"
    )
    gov_domain_suffixes: list[str] = Field(
        description="Domain suffixes of the jurisdiction's government sites"
    )
    domain_suffixes: list[str] = Field(
        default_factory=list,
        description="Other suffixes whose hosts belong to the jurisdiction (discovery)",
    )
    district_domains: dict[str, str] = Field(
        default_factory=dict,
        description="A county's domain and its district: the district of a site discovered"
        " under it (yanhu.yuncheng.gov.cn = 盐湖区)",
    )

    @model_validator(mode="before")
    @classmethod
    def _retired_keys(cls, data: Any) -> Any:
        # name_keywords was documented but never read: a profile that has it still loads.
        if isinstance(data, dict) and "name_keywords" in data:
            logging.getLogger(__name__).warning(
                "[profile] name_keywords is not used by beian-audit: it can be removed"
            )
            data = {key: value for key, value in data.items() if key != "name_keywords"}
        return data

    @field_validator("province_abbr")
    @classmethod
    def _known_abbr(cls, value: str) -> str:
        if value not in PROVINCE_ABBREVIATIONS:
            raise ValueError(f"unknown province abbreviation {value!r}")
        return value

    @field_validator("division_prefix")
    @classmethod
    def _prefix_digits(cls, value: str) -> str:
        if not (value.isascii() and value.isdigit() and 2 <= len(value) <= 6):
            raise ValueError("must be 2 to 6 digits of a GB/T 2260 code")
        return value

    @field_validator("divisions")
    @classmethod
    def _division_codes(cls, value: dict[str, str]) -> dict[str, str]:
        for code in value:
            if not (len(code) == 6 and code.isascii() and code.isdigit()):
                raise ValueError(f"division code {code!r} is not 6 digits")
        return value

    @field_validator("gov_domain_suffixes", "domain_suffixes")
    @classmethod
    def _suffixes(cls, value: list[str]) -> list[str]:
        return [s.strip().lower().lstrip(".") for s in value if s.strip()]

    @field_validator("district_domains")
    @classmethod
    def _district_domains(cls, value: dict[str, str], info: ValidationInfo) -> dict[str, str]:
        known = set((info.data.get("divisions") or {}).values())
        for domain, district in value.items():
            if known and district not in known:
                raise ValueError(f"{domain}: {district!r} is none of the profile's divisions")
        return {domain.strip().lower().strip("."): name for domain, name in value.items()}

    @property
    def district_names(self) -> list[str]:
        return list(self.divisions.values())

    def district_of(self, host: str, police_codes: Iterable[str] = ()) -> str | None:
        """The district a site belongs to as far as something says: a county's domain its
        host is under (the longest), else the division code of a public-security number
        it shows; None when nothing does."""
        host = host.lower().rstrip(".")
        under = [d for d in self.district_domains if host == d or host.endswith("." + d)]
        if under:
            return self.district_domains[max(under, key=len)]
        return next((self.divisions[c[:6]] for c in police_codes if c[:6] in self.divisions), None)

    def all_domain_suffixes(self) -> list[str]:
        return [*self.gov_domain_suffixes, *self.domain_suffixes]


def check_proxy_url(value: str) -> str:
    """A proxy URL as Scrapy and Chromium take it: http:// or https://, a host, an optional
    port (80 or 443 when none). ValueError says what is wrong."""
    from urllib.parse import urlsplit

    text = value.strip()
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError as exc:
        raise ValueError(f"{value!r} is not a proxy URL ({exc})") from None
    if parts.scheme not in ("http", "https"):
        raise ValueError(f"{value!r}: a proxy URL starts with http:// or https://")
    if not parts.hostname:
        raise ValueError(f"{value!r}: the proxy URL names no host")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ValueError(f"{value!r}: a proxy URL has no path (e.g. http://proxy:3128)")
    return text


class CrawlSettings(_Strict):
    """How the crawler behaves. Broad-crawl defaults: many hosts, few pages each."""

    # A broad crawl has one or two requests per host at a time: many hosts in flight hide the
    # real web's latency (benchmarks/README.md, "Real-world latency": 128 keeps the crawl's
    # rate with a lognormal delay and hanging hosts, 64 lost 38% of it).
    concurrency: int = Field(128, ge=1, le=2000, description="Requests in flight overall")
    per_host_concurrency: int = Field(2, ge=1, le=32, description="Requests in flight per host")
    download_delay: float = Field(
        0.0, ge=0, le=3600, description="Seconds between requests to one host"
    )
    timeout: float = Field(15.0, gt=0, le=3600, description="Seconds before a request times out")
    retries: int = Field(
        1, ge=0, le=10, description="Retries of a request that failed (refused, reset, 5xx...)"
    )
    retry_timeouts: bool = Field(
        False,
        description=(
            "Retry a request that timed out within the same run too. Off: a host that hangs"
            " holds a slot for the timeout once, not once per retry; the next run (or a"
            " re-test) tries it again, and BA301 needs two failed runs anyway"
        ),
    )
    max_pages_per_site: int = Field(
        3, ge=1, le=100, description="Homepage plus this many minus one same-site pages"
    )
    priority_link_words: list[str] = Field(
        default_factory=lambda: [
            "关于",
            "简介",
            "概况",
            "联系",
            "about",
            "contact",
            "gywm",
            "lxwm",
        ],
        description="Words in a link's text or URL that make it a preferred extra page",
    )
    max_download_bytes: int = Field(
        5 * 1024 * 1024, ge=1024, description="Responses larger than this are cut: too_large"
    )
    evidence_max_bytes: int = Field(
        1024 * 1024, ge=0, description="HTML kept (compressed) per snapshot, before compression"
    )
    user_agent: str = "beian-audit/{version} (+{contact_url})"
    contact_url: str = "https://github.com/beian-audit/beian-audit"
    robots_txt: Literal["ignore", "obey"] = Field(
        "ignore",
        description=(
            "ignore: the audit reads only the homepage and a few pages a visitor sees, which the"
            " law requires to show the filing notices; obey: honour robots.txt (a disallowed"
            " homepage becomes the outcome robots_denied)"
        ),
    )
    proxy: str | None = Field(None, description="HTTP proxy for every request (else http_proxy)")
    allow_private: list[str] = Field(
        default_factory=list,
        description=(
            "Internal networks the crawler may connect to (e.g. 10.0.0.0/8, to audit the"
            " centre's own intranet); every other loopback, private, link-local, shared,"
            " multicast or reserved address is refused: outcome blocked_address"
        ),
    )
    resolve: dict[str, str] = Field(
        default_factory=dict,
        description=(
            "Fixed addresses for host names, like curl --resolve or /etc/hosts"
            ' ({"www.example.gov.cn" = "203.0.113.5"}); the address guard still applies'
        ),
    )
    discover: bool = Field(False, description="Crawl jurisdiction hosts found through links")
    discover_depth: int = Field(1, ge=0, le=5)
    # One page listing 100,000 hosts must not add 100,000 sites (nor take 20 s to read).
    links_per_page: int = Field(
        1000,
        ge=1,
        le=1_000_000,
        description="Links read from one page, in document order; the rest are not read",
    )
    discover_per_page: int = Field(
        200, ge=0, le=100_000, description="New hosts followed from one page (--discover)"
    )
    discover_max: int = Field(
        1000, ge=0, le=1_000_000, description="New hosts followed in one run (--discover)"
    )
    batch_size: int = Field(200, ge=1, le=10000, description="Snapshots per database write")
    analysis_workers: int | Literal["auto"] = Field(
        "auto",
        description=(
            "Processes that parse pages and extract notices beside the Scrapy process;"
            " 0 = in the Scrapy process; auto = 2 on a machine with 2 or more cores"
        ),
    )
    analysis_timeout: float = Field(
        60.0,
        gt=0,
        le=3600,
        description="Seconds a worker may spend on one page; longer: outcome analysis_error",
    )
    analysis_memory_mb: int = Field(
        2048,
        ge=0,
        description="Address space of an analysis worker (MB; 0 = no limit): a page that"
        " needs more fails alone (analysis_error)",
    )

    render: Literal["fallback", "off", "always"] = Field(
        "fallback",
        description=(
            "Render pages in headless Chromium: fallback = when the served HTML shows no"
            " filing notice but loads scripts; always; off"
        ),
    )
    browser_path: str | None = Field(None, description="Chromium executable (default: on PATH)")
    browser_user: str = Field(
        "nobody",
        min_length=1,
        description="The account Chromium runs as when the crawl runs as root (never root)",
    )
    render_pages: int = Field(4, ge=1, le=64, description="Pages rendered at once")
    render_timeout: float = Field(
        30.0, gt=0, le=3600, description="Seconds to load and run a page in the browser"
    )

    @field_validator("proxy")
    @classmethod
    def _proxy(cls, value: str | None) -> str | None:
        return check_proxy_url(value) if value else None

    @field_validator("allow_private")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        from audit.page.addresses import parse_networks

        parse_networks(value)
        return value

    @field_validator("resolve")
    @classmethod
    def _addresses(cls, value: dict[str, str]) -> dict[str, str]:
        import ipaddress

        from audit.page.domains import BadURL, normalise_host

        fixed = {}
        for host, address in value.items():
            try:
                fixed[normalise_host(host)] = str(ipaddress.ip_address(address.strip("[] ")))
            except BadURL as exc:
                raise ValueError(f"{host!r}: {exc}") from None
            except ValueError:
                raise ValueError(f"{host!r}: {address!r} is not an IP address") from None
        return fixed

    def analysis_worker_count(self) -> int:
        if self.analysis_workers == "auto":
            # Analysis costs about twice the CPU of downloading a page: two workers beside
            # the Scrapy process keep it busy (measured in benchmarks/crawl_throughput.py).
            return 2 if (os.cpu_count() or 1) >= 2 else 0
        return max(0, self.analysis_workers)

    def resolved_user_agent(self) -> str:
        from audit import __version__

        return self.user_agent.format(version=__version__, contact_url=self.contact_url)


class ScheduleSettings(_Strict):
    """Background runs (scheduler.py): cron expressions in the centre's time zone; an
    empty expression turns a job off."""

    timezone: str = "Asia/Shanghai"
    crawl: str | None = Field(
        "0 2 * * *", description="Crawl and audit every site (cron: minute hour day month weekday)"
    )
    retest: str | None = Field(
        "0 */6 * * *", description="Re-test the sites with findings being fixed (notified ...)"
    )
    bulletin: str | None = Field("0 8 1 * *", description="Issue the previous month's bulletin")
    housekeeping: str | None = Field(
        "30 4 * * 0", description="Drop old evidence HTML and links, close abandoned runs"
    )
    misfire_grace_seconds: int = Field(
        3600,
        ge=1,
        description="A crawl, re-test or housekeeping run missed by less than this"
        " (the scheduler was down) runs once when it is back",
    )
    bulletin_misfire_grace_seconds: int = Field(
        86400, ge=1, description="The same for the bulletin"
    )
    lock_stale_seconds: int = Field(
        90, ge=10, description="A scheduler silent this long (another machine) is taken over"
    )
    log_file: str | None = Field(
        None, description="Also log to this file, rotated at 10 MB (5 kept)"
    )

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}") from None
        return value

    @field_validator("crawl", "retest", "bulletin", "housekeeping")
    @classmethod
    def _cron(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        from audit.ops.cron import cron_trigger

        try:
            cron_trigger(value, "Asia/Shanghai")
        except ValueError as exc:
            raise ValueError(f"not a cron expression ({exc})") from None
        return value


DEFAULT_REQUIREMENTS = [
    "各单位要切实履行网站主办者主体责任，按照《非经营性互联网信息服务备案管理办法》和"
    "《计算机信息网络国际联网安全保护管理办法》的规定，在网站首页底部显著位置展示ICP备案编号和"
    "公安机关联网备案编号，并链接至相应备案管理系统。",
    "对本通报所列未备案、备案信息展示不规范的网站，主办单位要在整改期限内完成整改，并将整改情况"
    "书面反馈我中心；逾期未整改的，将依法依规予以处置。",
    "各区县要加强对属地网站的日常监测和督促检查，发现网站无法访问、被劫持跳转等安全问题，及时"
    "处置并报告。",
]


class BulletinSettings(_Strict):
    """The monthly bulletin (beian bulletin): its masthead and fixed text."""

    title: str = Field(
        "", description="Masthead title; empty = <profile name>网络与信息安全信息通报"
    )
    unit: str = Field(
        "", description="Compiling unit; empty = <profile name>网络与信息安全信息通报中心"
    )
    requirements: list[str] = Field(
        default_factory=lambda: list(DEFAULT_REQUIREMENTS),
        description="六、工作要求: one paragraph per entry",
    )
    warning_days: int = Field(
        7, ge=1, le=60, description="预警: deadlines that fall within this many days"
    )
    repeated_failures: int = Field(
        2, ge=1, description="预警: a site unreachable this many times in the month"
    )
    trend_months: int = Field(12, ge=2, le=36, description="Months shown in the trend charts")
    copy_to: list[str] = Field(
        default_factory=list, description="版记: 抄送 the units the bulletin is copied to"
    )
    printer: str = Field(
        "", description="版记: the unit that prints it (印发机关); empty = the compiling unit"
    )

    def title_for(self, profile: Profile) -> str:
        return self.title.strip() or f"{profile.name}网络与信息安全信息通报"

    def unit_for(self, profile: Profile) -> str:
        return self.unit.strip() or f"{profile.name}网络与信息安全信息通报中心"


class NoticeSettings(_Strict):
    """整改通知 (beian notice): their document numbers (文号) and default deadline."""

    number_format: str = Field(
        "{prefix}〔{year}〕{serial}号",
        description="文号 of the notices numbered automatically, per year: {prefix}, {year}"
        " and {serial} (1 for the first notice of the year)",
    )
    prefix: str = Field(
        "", description="{prefix} of the 文号; empty = the profile name's first character"
        " and 网安通, e.g. 运网安通",
    )  # fmt: skip
    deadline_days: int = Field(
        15, ge=1, le=365, description="Days to fix what a notice lists, when not given"
    )
    contact: str = Field(
        "",
        description="联系人 line of the letter, e.g. 张三，联系电话：0359-2000000 (none if empty)",
    )
    copy_to: list[str] = Field(default_factory=list, description="抄送: units copied, in order")

    @field_validator("number_format")
    @classmethod
    def _placeholders(cls, value: str) -> str:
        try:
            value.format(prefix="", year=2026, serial=1)
        except (KeyError, IndexError, ValueError) as exc:
            raise ValueError(
                f"only {{prefix}}, {{year}} and {{serial}} may be used ({exc})"
            ) from None
        if "{serial" not in value:
            raise ValueError("{serial} is needed: two notices of a year must differ")
        return value

    def number_for(self, profile: Profile, year: int, serial: int) -> str:
        prefix = self.prefix.strip() or f"{profile.name[:1]}网安通"
        return self.number_format.format(prefix=prefix, year=year, serial=serial)


class RetentionSettings(_Strict):
    """Housekeeping (beian db housekeeping; weekly in the scheduler): what old data is
    thinned. Crawl runs, snapshots, notices, findings and their events are never deleted:
    bulletins replay them."""

    evidence_days: int = Field(
        180,
        ge=1,
        description="The page HTML of snapshots whose run started longer ago is dropped,"
        " except the snapshots findings point at (their evidence)",
    )
    links_days: int = Field(
        400, ge=1, description="Links recorded by runs started longer ago are deleted"
    )


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="BEIAN_", env_nested_delimiter="__", extra="forbid", frozen=True
    )

    database_url: str = Field(
        "sqlite:///beian.db", description="SQLAlchemy URL; SQLite file in the working directory"
    )
    data_dir: Path = Field(Path("beian-data"), description="Where generated files go")
    profile: Profile = Field(default_factory=lambda: load_builtin_profile(DEFAULT_PROFILE))
    crawl: CrawlSettings = Field(default_factory=CrawlSettings)
    schedule: ScheduleSettings = Field(default_factory=ScheduleSettings)
    bulletin: BulletinSettings = Field(default_factory=BulletinSettings)
    notice: NoticeSettings = Field(default_factory=NoticeSettings)
    retention: RetentionSettings = Field(default_factory=RetentionSettings)

    # Where the values came from, for messages; not a setting.
    config_path: Path | None = Field(None, exclude=True)

    @field_validator("database_url")
    @classmethod
    def _url(cls, value: str) -> str:
        from sqlalchemy.engine import make_url

        try:
            url = make_url(value)
        except Exception as exc:
            raise ValueError(f"not a database URL: {exc}") from None
        if url.get_backend_name() not in {"sqlite", "postgresql"}:
            raise ValueError("only sqlite:/// and postgresql+psycopg:// URLs are supported")
        if url.get_backend_name() == "postgresql" and url.drivername == "postgresql":
            # psycopg 3 is what we install; plain postgresql:// would ask for psycopg2.
            value = url.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
        return value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # The TOML file arrives as init kwargs; the environment overrides it.
        return env_settings, init_settings


def load_builtin_profile(name: str) -> Profile:
    text = resources.files("audit").joinpath("profiles", f"{name}.toml").read_text("utf-8")
    return Profile(**tomllib.loads(text))


def find_config_path(explicit: str | os.PathLike[str] | None = None) -> Path | None:
    """The config file to read: --config, else $BEIAN_CONFIG, else ./beian.toml if present."""
    if explicit:
        return Path(explicit)
    if env := os.environ.get("BEIAN_CONFIG"):
        return Path(env)
    default = Path.cwd() / DEFAULT_CONFIG_NAME
    return default if default.exists() else None


def load_settings(config: str | os.PathLike[str] | None = None, **overrides: Any) -> Settings:
    """Read and validate the settings; raise ConfigError with the file and field on bad input."""
    path = find_config_path(config)
    data: dict[str, Any] = {}
    if path is not None:
        try:
            data = tomllib.loads(path.read_text("utf-8"))
        except FileNotFoundError:
            raise ConfigError(f"{path}: configuration file not found") from None
        except UnicodeDecodeError as exc:
            raise ConfigError(f"{path}: not UTF-8 text ({exc.reason})") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path}: invalid TOML: {exc}") from None
        if isinstance(data.get("profile"), str):
            data["profile"] = _profile_by_name(path, data["profile"])
    data = _deep_merge(data, overrides)
    try:
        settings = Settings(**data, config_path=path)
    except ValidationError as exc:
        where = str(path) if path else "settings"
        raise ConfigError(f"{where}: {_describe(exc)}") from None
    return settings


def _deep_merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _profile_by_name(path: Path, name: str) -> dict[str, Any]:
    try:
        return load_builtin_profile(name).model_dump()
    except FileNotFoundError:
        raise ConfigError(f"{path}: profile: no built-in profile named {name!r}") from None


def _describe(exc: ValidationError) -> str:
    parts = []
    for error in exc.errors():
        field = ".".join(str(p) for p in error["loc"]) or "(top level)"
        message = error["msg"]
        if error["type"] == "extra_forbidden":
            message = "unknown setting"
        parts.append(f"{field}: {message}")
    return "; ".join(parts)
