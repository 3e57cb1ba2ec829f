"""An edition of the training: its calendar, fees, courses and contacts, as data.

Everything dated or priced is data of one edition; next year's edition is a new JSON
document (seeded from chalicelib/editions/data/ or edited by an admin), not new code.
"""
from __future__ import annotations

import calendar
from datetime import datetime, time, timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from chalicelib.platform.clock import SHANGHAI, UTC, iso
from chalicelib.platform.errors import WindowClosedError

WindowName = Literal["registration", "refund", "learning", "questionnaire", "certificate",
                     "payment"]

WINDOW_LABELS: dict[str, str] = {
    "registration": "报名",
    "refund": "退费申请",
    "learning": "在线学习",
    "questionnaire": "问卷填写",
    "certificate": "证书下载",
    "payment": "交费",
    "invoice": "发票申请",
}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Window(_Strict):
    opens: datetime | None = None  # None: opens on an event (payment), not a date
    closes: datetime

    @field_validator("opens", "closes")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("时间必须带时区，例如 2026-04-13T00:00:00+08:00")
        return value.astimezone(UTC) if value is not None else None

    def is_open(self, now: datetime) -> bool:
        """Opens inclusive, closes exclusive, to the second."""
        return (self.opens is None or self.opens <= now) and now < self.closes


class Windows(_Strict):
    registration: Window
    refund: Window
    learning: Window
    questionnaire: Window
    certificate: Window

    @model_validator(mode="after")
    def _in_notice_order(self) -> "Windows":
        for name in ("registration", "learning", "questionnaire", "certificate"):
            w: Window = getattr(self, name)
            if w.opens is None:
                raise ValueError(f"{WINDOW_LABELS[name]}窗口必须有开始时间")
            if not w.opens < w.closes:
                raise ValueError(f"{WINDOW_LABELS[name]}窗口的开始时间必须早于结束时间")
        r, le, q, c = self.registration, self.learning, self.questionnaire, self.certificate
        assert r.opens and le.opens and q.opens and c.opens
        if not r.closes <= le.opens:
            raise ValueError("报名必须在在线学习开始前截止")
        if not le.opens <= q.opens:
            raise ValueError("问卷填写不能早于在线学习开始")
        if not q.closes <= le.closes:
            raise ValueError("问卷必须在在线学习结束前（或同时）截止")
        if not le.opens <= c.opens:
            raise ValueError("证书下载不能早于在线学习开始")
        if not (r.opens < self.refund.closes <= le.closes):
            raise ValueError("退费申请须在报名开始后、学习结束前截止")
        return self


class Fees(_Strict):
    member_fen: int = Field(gt=0, le=10_000_000)
    non_member_fen: int = Field(gt=0, le=10_000_000)


class Course(_Strict):
    course_id: str = Field(pattern=r"^[A-Za-z0-9_-]{1,32}$")
    title: str = Field(min_length=1, max_length=100)
    hours: float = Field(gt=0, le=100)
    duration_s: int = Field(gt=0, le=100_000)
    video_key: str | None = None


class BankAccount(_Strict):
    account_name: str
    bank_name: str
    account_no: str
    bank_code: str
    memo_prefix: str = "在职培训"


class Contact(_Strict):
    role: str
    name: str
    phone: str | None = None
    email: str | None = None


class Question(_Strict):
    """One question of the course-effect survey (问卷)."""
    question_id: str = Field(pattern=r"^[A-Za-z0-9_-]{1,40}$")
    type: Literal["rating", "text"]
    text: str = Field(min_length=1, max_length=200)
    course_id: str | None = None
    required: bool = True


class QuestionnaireSpec(_Strict):
    questions: list[Question] = Field(min_length=1, max_length=200)


class CertificateSpec(_Strict):
    """How the edition's certificate looks: a seal image (object key in the certificates
    bucket) replaces the drawn seal; the QR code points at `verify_base_url` (default:
    the platform's public URL)."""
    seal_image_key: str | None = Field(default=None, max_length=300)
    verify_base_url: str | None = Field(default=None, max_length=300)
    signer_name: str | None = Field(default=None, max_length=100)
    seal_text: str | None = Field(default=None, max_length=30)


class VideoDelivery(_Strict):
    """Who signs playback URLs: S3 presigned GETs (default) or CloudFront signed URLs (the
    private key lives in Secrets Manager under `private_key_secret`)."""
    signer: Literal["s3", "cloudfront"] = "s3"
    url_ttl_s: int = Field(default=300, ge=30, le=3600)
    cloudfront_domain: str | None = Field(default=None, max_length=253)
    key_pair_id: str | None = Field(default=None, max_length=64)
    private_key_secret: str | None = Field(default=None, max_length=256)

    @model_validator(mode="after")
    def _cloudfront_complete(self) -> "VideoDelivery":
        if self.signer == "cloudfront" and not (self.cloudfront_domain and self.key_pair_id
                                                and self.private_key_secret):
            raise ValueError("CloudFront 签名须配置 cloudfront_domain、key_pair_id 和 private_key_secret")
        return self


class InvoicingSpec(_Strict):
    """What the e-invoice (数电票) says and how it is classified: seller, item, tax code.
    Finance confirms these with the tax bureau; the defaults describe a 培训费 invoice."""
    seller_name: str | None = Field(default=None, max_length=100)  # None: the organiser
    seller_tax_num: str = Field(default="", max_length=20)  # 统一社会信用代码 of the seller
    seller_address: str = Field(default="", max_length=80)
    seller_tel: str = Field(default="", max_length=20)
    seller_account: str = Field(default="", max_length=100)  # 开户行及账号
    clerk: str = Field(default="财务", max_length=20)  # 开票人
    item_name: str = Field(default="培训费", min_length=1, max_length=90)
    goods_code: str = Field(default="3070201020000000000", pattern=r"^\d{19}$")  # 非学历教育服务
    tax_rate: str = Field(default="0.06", pattern=r"^0(\.\d{1,3})?$")
    invoice_line: str = Field(default="pc", pattern=r"^(pc|bs)$")  # 数电普票 | 数电专票
    order_no_prefix: str = Field(default="LSC", pattern=r"^[A-Z]{0,6}$")


class Edition(_Strict):
    edition_id: str = Field(pattern=r"^[A-Za-z0-9_-]{1,32}$")
    title: str = Field(min_length=1, max_length=200)
    organizer: str = Field(min_length=1, max_length=100)
    notice_no: str | None = None
    # The notice's own words for the public landing page (optional: the page omits them)
    summary: str | None = Field(default=None, max_length=1000)
    audience: str | None = Field(default=None, max_length=200)
    windows: Windows
    invoice_window_months: int = Field(ge=1, le=12)
    transfer_review_working_days: int = Field(ge=1, le=30)
    fees: Fees
    membership_dues_year: int = Field(ge=2000, le=2100)
    certificate_hours: float = Field(gt=0, le=1000)
    required_share: float = Field(gt=0, le=1)
    courses: list[Course] = Field(min_length=1, max_length=100)
    bank_account: BankAccount
    finance_email: str
    contacts: list[Contact]
    seal_image_key: str | None = None
    questionnaire: QuestionnaireSpec | None = None
    certificate: CertificateSpec | None = None
    video_delivery: VideoDelivery | None = None
    # the player asks "still there?" every this many minutes (unanswered in 60 s: it pauses)
    idle_check_minutes: int = Field(default=15, ge=1, le=180)
    invoicing: InvoicingSpec = Field(default_factory=InvoicingSpec)

    @model_validator(mode="after")
    def _unique_courses(self) -> "Edition":
        ids = [c.course_id for c in self.courses]
        if len(set(ids)) != len(ids):
            raise ValueError("课程编号不能重复")
        if self.questionnaire is not None:
            qids = [q.question_id for q in self.questionnaire.questions]
            if len(set(qids)) != len(qids):
                raise ValueError("问卷题目编号不能重复")
            unknown = [q.course_id for q in self.questionnaire.questions
                       if q.course_id is not None and q.course_id not in ids]
            if unknown:
                raise ValueError(f"问卷题目引用了不存在的课程：{unknown[0]}")
        return self

    # --- learning, questionnaire, certificate -------------------------------------------
    def video_key(self, course: Course) -> str:
        """The course video's object key in the videos bucket."""
        return course.video_key or f"{self.edition_id}/{course.course_id}.mp4"

    def questions(self) -> list[Question]:
        """The survey: the edition's own, or by default a rating per course, an overall
        rating and an optional comment."""
        if self.questionnaire is not None:
            return list(self.questionnaire.questions)
        qs = [Question(question_id=f"course_{c.course_id}", type="rating",
                       text=f"您对课程《{c.title}》的总体评价", course_id=c.course_id)
              for c in self.courses]
        qs.append(Question(question_id="overall", type="rating", text="您对本次培训的总体评价"))
        qs.append(Question(question_id="comments", type="text", text="意见和建议",
                           required=False))
        return qs

    def seal_key(self) -> str | None:
        """A configured seal image replaces the drawn seal."""
        if self.certificate is not None and self.certificate.seal_image_key:
            return self.certificate.seal_image_key
        return self.seal_image_key

    # --- windows -------------------------------------------------------------------
    def window(self, name: str) -> Window:
        if name == "payment":  # pay from approval to the end of learning
            return Window(opens=None, closes=self.windows.learning.closes)
        return getattr(self.windows, name)  # type: ignore[no-any-return]

    def require_open(self, name: str, now: datetime, code: str | None = None) -> None:
        """Raise WindowClosedError naming the window unless it is open at `now`."""
        w = self.window(name)
        if not w.is_open(now):
            raise WindowClosedError(name, WINDOW_LABELS[name], w.opens, w.closes, now, code)

    def fee_for(self, is_member: bool) -> int:
        return self.fees.member_fen if is_member else self.fees.non_member_fen

    def course(self, course_id: str) -> Course | None:
        return next((c for c in self.courses if c.course_id == course_id), None)

    def required_seconds(self, course: Course) -> int:
        """学习完 once credited time reaches this share of the video's length."""
        return int(course.duration_s * self.required_share + 0.999999)

    def public_view(self, now: datetime) -> dict:
        data = self.model_dump(mode="json", exclude={"video_delivery"})
        windows = {}
        for name in ("registration", "refund", "learning", "questionnaire", "certificate",
                     "payment"):
            w = self.window(name)
            windows[name] = {"label": WINDOW_LABELS[name], "opens": iso(w.opens),
                             "closes": iso(w.closes), "open_now": w.is_open(now)}
        data["windows"] = windows
        data["courses"] = [{**c.model_dump(mode="json", exclude={"video_key"}),
                            "required_s": self.required_seconds(c)} for c in self.courses]
        data["total_hours"] = sum(c.hours for c in self.courses)
        data["now"] = iso(now)
        return data


def invoice_deadline(paid_at: datetime, months: int) -> datetime:
    """End of the same calendar day `months` later in Asia/Shanghai, clamped to the month's
    last day (01-31 + 1 month -> 02-28/29 end of day). Returned as an exclusive instant."""
    local = paid_at.astimezone(SHANGHAI)
    month_index = local.month - 1 + months
    year, month = local.year + month_index // 12, month_index % 12 + 1
    day = min(local.day, calendar.monthrange(year, month)[1])
    end = datetime.combine(datetime(year, month, day).date() + timedelta(days=1), time(0),
                           tzinfo=SHANGHAI)
    return end.astimezone(UTC)
