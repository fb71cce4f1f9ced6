from retail.core import Caller, cloud_function
from retail.feedback import AnswerSurvey, SurveyAnswer, answer_survey


@cloud_function(AnswerSurvey, response=SurveyAnswer)
def main_handler(cmd: AnswerSurvey, caller: Caller) -> SurveyAnswer:
    return answer_survey(cmd, buyer=caller.require_openid())
