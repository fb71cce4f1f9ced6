from .judgements import LABELS, Judgement, Scene, TextJudgement, judge_text, worst
from .media import ImageCheck, ask_image_checks, image_checks_of, record_image_result

__all__ = [
    "LABELS",
    "ImageCheck",
    "Judgement",
    "Scene",
    "TextJudgement",
    "ask_image_checks",
    "image_checks_of",
    "judge_text",
    "record_image_result",
    "worst",
]
