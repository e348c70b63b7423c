"""commands.kept.Kept: a result is computed once per key while kept, and
the oldest kept goes first when more are asked for than it keeps."""

from commands.kept import Kept


def test_a_kept_result_is_not_computed_again_and_the_oldest_goes_first():
    computed = []

    def compute(key):
        def run():
            computed.append(key)
            return {"key": key}

        return run

    kept: Kept[dict] = Kept(2)
    assert kept.get("a", compute("a")) == {"key": "a"}
    assert kept.get("a", compute("a")) is kept.get("a", compute("a"))
    kept.get("b", compute("b"))
    kept.get("c", compute("c"))  # a goes
    kept.get("b", compute("b"))
    kept.get("a", compute("a"))
    assert computed == ["a", "b", "c", "a"]
    kept.clear()
    kept.get("c", compute("c"))
    assert computed[-1] == "c" and len(computed) == 5
