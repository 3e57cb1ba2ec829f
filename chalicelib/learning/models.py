"""Learning's request and response models: the routes validate into the first and answer
with the second, and the OpenAPI document is built from both (so they cannot drift). The
response models hold exactly the fields the services answer (extra="forbid": a field the
service adds without its model fails loudly)."""
from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StringConstraints, model_serializer

from chalicelib.platform.schemas import Body, Instant, Out, PresignedPostOut

Number = int | float  # as the data holds it: 30 stays 30, 1.5 stays 1.5


# --- requests ---------------------------------------------------------------------------
class HeartbeatIn(Body):
    position_s: float = Field(ge=0, le=1_000_000, description="播放器当前位置（秒）")
    token: str | None = Field(default=None, max_length=1200,
                              description="上一次心跳（或 play）应答中的 token，原样带回")
    session_id: str | None = Field(default=None, max_length=40,
                                   description="play 应答中的 session_id（本窗口的播放会话）")


SessionId = Annotated[str, StringConstraints(pattern=r"^S[0-9A-Z]{16}$")]


class PlaybackQuery(BaseModel):
    """The play session the playlist or key is asked for (`session_id` of /play), and for
    the key the video version the playlist named."""
    model_config = ConfigDict(extra="forbid")
    session_id: SessionId = Field(description="play 应答中的 session_id")
    v: Annotated[str, StringConstraints(pattern=r"^[0-9A-Za-z]{1,40}$")] | None = Field(
        default=None, description="视频版本（播放列表中的密钥地址自带）")


class PackageIn(Body):
    upload_key: str = Field(min_length=1, max_length=300,
                            description="上传表单应答中的 key（视频在存储中的位置）")


Answer = StrictInt | Annotated[str, StringConstraints(max_length=4000)]  # true is not 1


class AnswersIn(Body):
    answers: dict[Annotated[str, StringConstraints(max_length=40)], Answer] = Field(
        max_length=200)


class ExportQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    edition_id: str | None = Field(default=None, max_length=32)


# --- responses --------------------------------------------------------------------------
class CourseOut(Out):
    """A course of the catalogue with the trainee's progress."""
    course_id: str
    title: str
    hours: Number
    duration_s: int
    credited_s: int
    required_s: int
    position_s: int
    completed: bool
    completed_at: str | None
    token: str | None


class EnrollOut(Out):
    """选学's answer: the enrolment and the catalogue with progress."""
    registration_id: str
    enrolled: bool
    enrolled_at: str | None
    courses: list[CourseOut]
    completed_count: int
    all_completed: bool
    required_share: Number


class CoursesOut(Out):
    """The catalogue with the trainee's own progress and the learning window."""
    edition_id: str
    registration_id: str
    enrolled: bool
    enrolled_at: str | None
    learning_open: bool
    learning_opens: str | None
    learning_closes: str | None
    heartbeat_interval_s: int
    courses: list[CourseOut]
    completed_count: int
    all_completed: bool
    required_share: Number


class PlayOut(Out):
    """The play session's HLS playlist (a platform route, relative to the API: segments are
    signed for a few minutes, the key is served only to this session) and the state the
    heartbeats continue from."""
    url: str
    format: Literal["hls"]
    expires_at: Instant
    duration_s: int
    watermark: str = Field(description="播放器上移动显示的水印：姓名（部分隐去）与手机尾号")
    idle_check_s: int = Field(description="每隔多少秒询问“您还在观看吗？”（60 秒未应答即暂停）")
    course_id: str
    position_s: int
    credited_s: int
    required_s: int
    completed: bool
    token: str
    session_id: str
    heartbeat_interval_s: int


class HeartbeatOut(Out):
    course_id: str
    credited_s: int
    required_s: int
    completed: bool
    credit_s: int
    accepted: bool
    position_s: int
    token: str
    heartbeat_interval_s: int


class UploadFormOut(PresignedPostOut):
    """Where the admin uploads a course video."""
    course_id: str
    version: str


class MediaOut(Out):
    """A course's video: `status` none | queued | packaging | ready | failed."""
    course_id: str
    title: str
    status: Literal["none", "queued", "packaging", "ready", "failed"]
    duration_s: int | None
    edition_duration_s: int | None
    version: str | None
    pending_version: str | None
    packaged_at: str | None
    error: str | None


class MediaListOut(Out):
    edition_id: str
    courses: list[MediaOut]


class QuestionOut(Out):
    """A survey question; a rating carries its scale (`min`, `max`), a text question not."""
    question_id: str
    type: Literal["rating", "text"]
    text: str
    course_id: str | None
    required: bool
    min: int | None = None
    max: int | None = None

    @model_serializer(mode="wrap")
    def _scale_only_for_ratings(self, handler: Any) -> dict[str, Any]:
        out: dict[str, Any] = handler(self)
        for key in ("min", "max"):
            if out.get(key) is None:
                out.pop(key, None)
        return out


class QuestionnaireOut(Out):
    edition_id: str
    questions: list[QuestionOut]
    submitted: bool
    submitted_at: str | None
    answers: dict[str, Any] | None
    can_submit: bool
    unmet: list[str]
    opens: str | None
    closes: str | None


class ResponseOut(Out):
    registration_id: str
    submitted: bool
    submitted_at: str
    answers: dict[str, Any]
