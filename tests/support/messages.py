"""What a person reads in a Block Kit message: the tests that check the
words of translated answers (catalog use, digits, isolates) walk it alike."""


def texts(message: dict) -> list[str]:
    """The fallback text and every `text` string in the blocks, skipping
    machine values (action ids, button values, block ids, URLs)."""
    out = [message["text"]]

    def walk(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "text" and isinstance(value, str):
                    out.append(value)
                elif key not in ("action_id", "value", "block_id", "url", "image_url"):
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(message["blocks"])
    return out
