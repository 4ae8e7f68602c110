"""``byok/tokens/count``: how many tokens a text (or several) takes for a chat model.

The chat panel asks before sending, so it can say when the conversation and its attachments
will not fit the model's context window instead of waiting for ``context_too_long``.
"""

from __future__ import annotations

from byok_ls import api
from byok_ls.counting import counter_for
from byok_ls.errors import invalid
from byok_ls.routing import Router


async def count_tokens(router: Router, params: api.TokensCountParams) -> api.TokensCountResult:
    if params.text is None and params.texts is None:
        raise invalid("text", "give text or texts")
    texts = ([params.text] if params.text is not None else []) + list(params.texts or [])
    model_id = params.model_id or router.config.config.active.chat
    tokenizer: str | None = None
    n_ctx: int | None = None
    if model_id is not None:
        target = router.target(model_id, "chat")
        tokenizer, n_ctx = target.model.tokenizer, target.model.n_ctx
    counter = await counter_for(tokenizer)
    return api.TokensCountResult(
        tokens=sum(counter.count_batch(texts)),
        n_ctx=n_ctx,
        estimated=counter.estimated,
        model_id=model_id,
    )
