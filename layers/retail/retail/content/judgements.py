"""What WeChat's content security says of a piece of user text, in the shop's words.

WeChat answers "pass", "review" or "risky" (msg_sec_check and media_check_async, version 2);
the shop adds UNCHECKED (WeChat could not be asked or did not judge: held, never published)
and PENDING (an image's answer has not arrived yet). The facts and their addresses are in
docs/decisions/0021-content-security.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

from retail.adapters.wechat import wechat_api
from retail.common.vocabulary import Word


class Scene(IntEnum):
    """msg_sec_check's scene: where the text will be seen."""

    PROFILE = 1
    COMMENT = 2
    FORUM = 3
    SOCIAL_LOG = 4


class Judgement(Word):
    PASS = "PASS"
    PENDING = "PENDING"
    UNCHECKED = "UNCHECKED"
    REVIEW = "REVIEW"
    RISKY = "RISKY"


# The order in which a held thing names why: risky wins, then what is still awaited.
_SEVERITY = {
    Judgement.PASS: 0,
    Judgement.UNCHECKED: 1,
    Judgement.REVIEW: 2,
    Judgement.PENDING: 3,
    Judgement.RISKY: 4,
}
_FROM_WECHAT = {"pass": Judgement.PASS, "review": Judgement.REVIEW, "risky": Judgement.RISKY}

# WeChat's labels (msg_sec_check v2 `result.label`), for the console's "why held".
LABELS = {
    100: "正常",
    10001: "广告",
    20001: "时政",
    20002: "色情",
    20003: "辱骂",
    20006: "违法犯罪",
    20008: "欺诈",
    20012: "低俗",
    20013: "版权",
    21000: "其他",
}


@dataclass(frozen=True)
class TextJudgement:
    judgement: Judgement
    label: int = 0
    trace_id: str = ""


def from_wechat(suggest: str) -> Judgement:
    return _FROM_WECHAT.get(suggest, Judgement.UNCHECKED)


def worst(*judgements: Judgement) -> Judgement:
    """The judgement a thing made of these parts carries: PASS only when every part passed."""
    return max(judgements, key=_SEVERITY.__getitem__, default=Judgement.PASS)


def judge_text(openid: str, scene: Scene, text: str) -> TextJudgement:
    """WeChat's judgement of `text` written by `openid` (who must have used the mini-program
    in the last two hours: ask at writing time). Empty text passes without asking."""
    if not text.strip():
        return TextJudgement(Judgement.PASS)
    verdict = wechat_api().check_text(openid, int(scene), text)
    return TextJudgement(from_wechat(verdict.suggest), verdict.label, verdict.trace_id)
