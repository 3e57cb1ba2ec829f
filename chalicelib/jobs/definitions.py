"""The scheduled jobs and when each is due, derived from the edition's calendar (so next
year's edition needs no code change). Each step lives in its feature's jobs.py and is
named here as "module:function", imported only when it runs (the runner imports no
feature, so no feature's import can reach back into the runner)."""
from __future__ import annotations

from datetime import datetime, time, timedelta

from chalicelib.editions.edition import Edition
from chalicelib.jobs.schedule import JobDef, at_dates, daily, edition_end, every

BILLING = "chalicelib.billing.jobs"


def registration_opens(edition: Edition) -> datetime:
    opens = edition.windows.registration.opens
    assert opens is not None  # the edition's validator requires it
    return opens


JOBS: list[JobDef] = [
    JobDef("close_registration", "报名截止：提醒待审核报名", "chalicelib.registration.jobs:remind_pending_reviews",
           at_dates(lambda e: e.windows.registration.closes)),
    JobDef("lock_refunds", "开课：锁定退费，自动退还未通过报名的交费",
           f"{BILLING}:lock_refunds_and_refund_unapproved",
           at_dates(lambda e: e.windows.refund.closes)),
    # At course start (orders of registrations that can no longer be paid) and at the end
    # of learning, when the payment window closes and no open order can be used any more.
    JobDef("close_unusable_orders", "关闭无法再使用的未支付订单",
           f"{BILLING}:close_unusable_orders",
           at_dates(lambda e: e.windows.refund.closes, lambda e: e.windows.learning.closes)),
    JobDef("close_learning", "学习结束：关闭视频播放与问卷", "chalicelib.learning.jobs:close_learning",
           at_dates(lambda e: e.windows.learning.closes)),
    JobDef("open_certificates", "开放证书下载", "chalicelib.certificates.jobs:open_certificates",
           at_dates(lambda e: e.windows.certificate.opens)),
    JobDef("expire_certificates", "证书下载截止", "chalicelib.certificates.jobs:expire_certificates",
           at_dates(lambda e: e.windows.certificate.closes)),
    JobDef("remind_overdue_transfers", "提醒财务：超过审核期限的银行转账",
           f"{BILLING}:remind_overdue_transfers",
           daily(time(9, 30), registration_opens,
                 lambda e: e.windows.learning.closes + timedelta(days=30))),
    JobDef("remind_invoice_deadlines", "提醒学员：开票期限将至", "chalicelib.invoicing.jobs:remind_deadlines",
           daily(time(9, 0), registration_opens,
                 edition_end)),
    # Online refunds left `requested` by a provider outage are asked for again (the
    # provider dedups on our refund id); bank-transfer refunds wait for finance.
    JobDef("retry_stuck_refunds", "重试未完成的在线退款", f"{BILLING}:retry_stuck_refunds",
           every(15), keep_s=3 * 24 * 3600),
    JobDef("package_videos", "打包上传的课程视频（加密 HLS）", "chalicelib.learning.jobs:package_videos",
           every(5), keep_s=3 * 24 * 3600),
    # E-invoices still with the tax-platform provider: submitted, queried, retried.
    JobDef("advance_invoices", "跟进开具中的电子发票", "chalicelib.invoicing.jobs:advance_invoices",
           every(15), keep_s=3 * 24 * 3600),
    JobDef("retry_mail", "重发未发出的邮件", "chalicelib.platform.mail.outbox:retry_step", every(15),
           per_edition=False, keep_s=3 * 24 * 3600),
]

BY_NAME = {job.name: job for job in JOBS}
