"""/案例: the group's memory answers with the closest cases and how they ended."""

from __future__ import annotations

from mediation.similar import CaseIndex, SearchDocument, answer_lines, most_similar

DOCUMENTS = [
    SearchDocument(
        "CY-202601-0003",
        "某健身房预付卡退费纠纷调解成功",
        "调解成功，退还剩余课时费",
        typical=True,
        text="健身房闭店，消费者办的年卡还剩八个月，经调解商家退还预付款。",
    ),
    SearchDocument("CY-202603-0011", "美容院会员卡充值后不给退", "调解成功，退款", typical=False),
    SearchDocument("CY-202604-0002", "饺子馆多收餐费", "调解成功，退还多收部分", typical=False),
    SearchDocument("CY-202605-0009", "健身房教练私教课程不满意", "调解失败", typical=False),
    SearchDocument("CY-202605-0010", "网购衣服七天无理由退货被拒", "调解成功", typical=False),
]


def test_prepaid_gym_query_finds_the_gym_prepaid_typical_case_first() -> None:
    hits = most_similar("预付卡 健身房", DOCUMENTS)
    assert hits[0].document.number == "CY-202601-0003"
    assert len(hits) <= 3
    assert "CY-202604-0002" not in {hit.document.number for hit in hits}


def test_a_keyword_from_the_text_finds_its_case() -> None:
    (hit, *_) = most_similar("多收 餐费", DOCUMENTS)
    assert hit.document.number == "CY-202604-0002"


def test_documents_sharing_no_word_are_never_returned() -> None:
    assert most_similar("装修 物业", DOCUMENTS) == ()
    assert most_similar("的 了", DOCUMENTS) == ()


def test_an_empty_index_answers_nothing() -> None:
    assert CaseIndex([]).search("健身房") == ()


def test_at_most_three_results_by_default_and_best_first() -> None:
    many = [
        SearchDocument(f"CY-2026060{n}-0001", "健身房退卡", "调解成功", typical=False)
        for n in range(6)
    ]
    hits = CaseIndex(many + DOCUMENTS).search("健身房")
    assert len(hits) == 3
    assert [hit.score for hit in hits] == sorted((hit.score for hit in hits), reverse=True)


def test_ties_go_to_typical_cases_then_to_later_numbers() -> None:
    same = [
        SearchDocument("CY-202601-0001", "宠物店洗澡受伤", "调解成功", typical=False),
        SearchDocument("CY-202602-0001", "宠物店洗澡受伤", "调解成功", typical=False),
        SearchDocument("CY-202512-0001", "宠物店洗澡受伤", "调解成功", typical=True),
    ]
    numbers = [hit.document.number for hit in most_similar("宠物店", same)]
    assert numbers == ["CY-202512-0001", "CY-202602-0001", "CY-202601-0001"]


def test_each_answer_line_has_the_outcome_and_number() -> None:
    (line,) = answer_lines(most_similar("预付卡 健身房", DOCUMENTS, limit=1))
    assert (
        line == "【典型】某健身房预付卡退费纠纷调解成功——调解成功，退还剩余课时费（CY-202601-0003）"
    )
