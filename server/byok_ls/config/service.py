"""Provider, model and active-selection operations over the store and the key store.

One implementation serves the LSP methods, the executeCommand commands and the CLI.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

from byok_ls import api
from byok_ls.config.catalog import get_template, templates
from byok_ls.config.endpoints import Endpoints, template_of
from byok_ls.config.schema import Config, Model, Provider, Template
from byok_ls.config.store import ConfigStore
from byok_ls.errors import ByokError, ErrorKind
from byok_ls.loopback import is_loopback
from byok_ls.providers.types import Endpoint
from byok_ls.secrets import KeyStore
from byok_ls.vocabulary import TASKS, Task


def _not_found(field: str, what: str) -> ByokError:
    return ByokError(ErrorKind.NOT_FOUND, f"{field}: {what}", field=field)


def split_model_id(model_id: str, field: str = "modelId") -> tuple[str, str]:
    provider_id, sep, name = model_id.partition("/")
    if not sep or not provider_id or not name:
        raise ByokError(
            ErrorKind.INVALID_PARAMS,
            f"{field}: must look like '<provider id>/<model name>'",
            field=field,
        )
    return provider_id, name


def _check_insecure(base_url: str, has_key: bool, allow: bool, field: str = "baseUrl") -> None:
    plain = urlsplit(base_url).scheme == "http"  # urlsplit lower-cases the scheme
    if has_key and plain and not is_loopback(base_url) and not allow:
        raise ByokError(
            ErrorKind.INSECURE_URL,
            f"{field}: refusing to send an API key over plain http:// to a non-loopback host; "
            "use https://, or set allowInsecureHttp: true if you trust the network.",
            field=field,
        )


class ConfigService:
    def __init__(self, store: ConfigStore, keys: KeyStore) -> None:
        self.store = store
        self.keys = keys
        keys.use_file_store = store.config.settings.key_file_store
        self._endpoints = Endpoints(keys)

    @property
    def config(self) -> Config:
        return self.store.config

    def endpoint(self, provider: Provider) -> Endpoint:
        """Where and how to reach ``provider`` (its URL, key and wire-format profile)."""
        return self._endpoints.get(provider, self.config.settings, self.store.generation)

    def template_of(self, provider: Provider) -> Template:
        return template_of(provider)

    def missing_key(self, provider: Provider, endpoint: Endpoint) -> ByokError | None:
        """Why nothing may be sent to ``provider``: its template needs a key and it has none."""
        if endpoint.api_key or not self.template_of(provider).needs_key:
            return None
        return ByokError(
            ErrorKind.MISSING_KEY,
            f"{provider.name} has no API key, so nothing was sent. Paste one in Configure "
            f"Providers, run `byok-ls providers update {provider.id} --ask-key`, or set "
            "apiKeyEnv to the name of an environment variable that holds it.",
            provider_id=provider.id,
        )

    # ---- views -------------------------------------------------------------------------

    def provider_view(self, provider: Provider) -> api.ProviderView:
        status = self.keys.status(provider.id, provider.api_key_env)
        return api.ProviderView(
            id=provider.id,
            template=provider.template,
            name=provider.name,
            enabled=provider.enabled,
            base_url=provider.base_url,
            api_key_env=provider.api_key_env,
            allow_insecure_http=provider.allow_insecure_http,
            budget=provider.budget,
            key=api.KeyView(present=status.present, source=status.source, hint=status.hint),
            models=[m.model_copy() for m in provider.models],
        )

    def templates_list(self) -> api.TemplatesResult:
        return api.TemplatesResult(
            templates=[
                api.TemplateView(
                    id=t.id,
                    name=t.name,
                    wire_format=t.wire_format,
                    base_url=t.base_url,
                    needs_key=t.needs_key,
                    key_env=t.key_env,
                    tasks=t.tasks,
                    models=t.models,
                    docs_url=t.docs_url,
                    local=t.local,
                    default_fim=t.default_fim,
                )
                for t in templates().values()
            ]
        )

    def providers_list(self) -> api.ProvidersResult:
        return api.ProvidersResult(providers=[self.provider_view(p) for p in self.config.providers])

    def provider(
        self, provider_id: str, field: str = "id", config: Config | None = None
    ) -> Provider:
        found = (config or self.config).find_provider(provider_id)
        if found is None:
            raise _not_found(field, f"no provider with id {provider_id!r}")
        return found

    def provider_get(self, params: api.ProviderIdParams) -> api.ProviderResult:
        return api.ProviderResult(provider=self.provider_view(self.provider(params.id)))

    # ---- providers ---------------------------------------------------------------------

    def provider_add(self, params: api.ProviderAddParams) -> api.ProviderResult:
        template = get_template(params.template)
        base_url = params.base_url or template.base_url
        has_key = bool(params.api_key) or bool(params.api_key_env)
        _check_insecure(base_url, has_key, params.allow_insecure_http)
        if params.api_key:
            self.keys.check(params.api_key)

        def change(config: Config) -> Provider:
            taken = {p.id for p in config.providers}
            if params.id is not None:
                if params.id in taken:
                    raise ByokError(
                        ErrorKind.CONFLICT,
                        f"id: a provider with id {params.id!r} already exists",
                        field="id",
                    )
                new_id = params.id
            else:
                new_id, n = template.id.replace("_", "-"), 2
                base = new_id
                while new_id in taken:
                    new_id, n = f"{base}-{n}", n + 1
            # What the user gave is set (and so written to config.yaml, even a default);
            # what nobody chose is left to its default.
            chosen = {
                name: getattr(params, name)
                for name in ("enabled", "allow_insecure_http", "budget", "api_key_env")
                if name in params.model_fields_set
            }
            provider = Provider(
                id=new_id,
                template=template.id,
                name=params.name or template.name,
                base_url=base_url,
                # Only what the template changes from the defaults counts as chosen.
                models=[
                    Model.model_validate(m.model_dump(exclude_defaults=True))
                    for m in template.models
                ],
                **chosen,
            )
            config.providers.append(provider)
            return provider

        provider = self.store.mutate(change)
        if params.api_key:
            try:
                self.keys.set(provider.id, params.api_key)
            except Exception:
                # No half-added provider: without its key the user would have to start over.
                self.store.mutate(
                    lambda c: c.providers.remove(self.provider(provider.id, config=c))
                )
                raise
        return api.ProviderResult(provider=self.provider_view(provider))

    def provider_update(self, params: api.ProviderUpdateParams) -> api.ProviderResult:
        current = self.provider(params.id)
        base_url = params.base_url or current.base_url
        allow = (
            params.allow_insecure_http
            if params.allow_insecure_http is not None
            else current.allow_insecure_http
        )
        has_key = bool(params.api_key) or self.keys.status(current.id, current.api_key_env).present
        _check_insecure(base_url, has_key, allow)
        if params.api_key:
            self.keys.check(params.api_key)
        before: list[Provider] = []

        def change(config: Config) -> Provider:
            provider = self.provider(params.id, config=config)
            before.append(provider.model_copy(deep=True))
            if params.name is not None:
                provider.name = params.name
            if params.base_url is not None:
                provider.base_url = base_url
            if params.allow_insecure_http is not None:
                provider.allow_insecure_http = allow
            if params.enabled is not None:
                provider.enabled = params.enabled
            if params.api_key_env is not None:
                provider.api_key_env = params.api_key_env or None
            if "budget" in params.model_fields_set:
                provider.budget = params.budget
            return provider

        provider = self.store.mutate(change)
        try:
            if params.api_key == "":
                self.keys.delete(provider.id)
            elif params.api_key:
                self.keys.set(provider.id, params.api_key)
        except Exception:
            # All or nothing: a new base URL must not stay without the key meant for it.
            self.store.mutate(lambda c: _restore(self.provider(params.id, config=c), before[-1]))
            raise
        return api.ProviderResult(provider=self.provider_view(provider))

    def provider_remove(self, params: api.ProviderIdParams) -> api.Removed:
        def change(config: Config) -> None:
            provider = self.provider(params.id, config=config)
            config.providers.remove(provider)
            _drop_refs(config, lambda ref: ref.partition("/")[0] == provider.id)

        self.store.mutate(change)
        self.keys.delete(params.id)
        return api.Removed()

    # ---- models ------------------------------------------------------------------------

    def model_add(self, params: api.ModelAddParams) -> api.ModelResult:
        def change(config: Config) -> Model:
            provider = self.provider(params.provider_id, "providerId", config)
            if provider.find_model(params.model.name, params.model.task) is not None:
                raise ByokError(
                    ErrorKind.CONFLICT,
                    f"model.name: {provider.id} already has a {params.model.task} model "
                    f"{params.model.name!r}",
                    field="model.name",
                )
            provider.models.append(params.model)
            return params.model

        return api.ModelResult(model=self.store.mutate(change))

    def model_update(self, params: api.ModelUpdateParams) -> api.ModelResult:
        def change(config: Config) -> Model:
            provider = self.provider(params.provider_id, "providerId", config)
            model = provider.find_model(params.name, params.task)
            if model is None:
                raise _not_found(
                    "name", f"{provider.id} has no {params.task} model {params.name!r}"
                )
            patch = params.model.model_dump(exclude_unset=True)
            merged = Model.model_validate({**model.model_dump(exclude_unset=True), **patch})
            new_name = merged.name
            if new_name != model.name and provider.find_model(new_name, params.task):
                raise ByokError(
                    ErrorKind.CONFLICT,
                    f"model.name: {provider.id} already has a {params.task} model {new_name!r}",
                    field="model.name",
                )
            provider.models[provider.models.index(model)] = merged
            if new_name != model.name:
                old_ref, new_ref = f"{provider.id}/{model.name}", f"{provider.id}/{new_name}"
                _rename_ref(config, params.task, old_ref, new_ref)
            return merged

        return api.ModelResult(model=self.store.mutate(change))

    def model_remove(self, params: api.ModelRemoveParams) -> api.Removed:
        def change(config: Config) -> None:
            provider = self.provider(params.provider_id, "providerId", config)
            model = provider.find_model(params.name, params.task)
            if model is None:
                raise _not_found(
                    "name", f"{provider.id} has no {params.task} model {params.name!r}"
                )
            provider.models.remove(model)
            ref = f"{provider.id}/{model.name}"
            _drop_refs(config, lambda r: r == ref, tasks=(params.task,))

        self.store.mutate(change)
        return api.Removed()

    # ---- active ------------------------------------------------------------------------

    def active_get(self) -> api.ActiveResult:
        config = self.config
        return api.ActiveResult(
            chat=config.active.chat,
            completion=config.active.completion,
            embeddings=config.active.embeddings,
            fallbacks=api.FallbacksView(
                chat=list(config.fallbacks.chat),
                completion=list(config.fallbacks.completion),
                embeddings=list(config.fallbacks.embeddings),
            ),
        )

    def resolve(
        self, model_id: str, task: Task, field: str = "modelId", config: Config | None = None
    ) -> tuple[Provider, Model]:
        """The provider and model behind ``<provider id>/<model name>`` for ``task``."""
        provider_id, name = split_model_id(model_id, field)
        provider = self.provider(provider_id, field, config)
        model = provider.find_model(name, task)
        if model is None:
            raise _not_found(field, f"{provider.name} has no {task} model {name!r}")
        return provider, model

    def active_set(self, params: api.ActiveSetParams) -> api.ActiveResult:
        def check(config: Config, ref: str, field: str) -> None:
            provider, _ = self.resolve(ref, params.task, field, config)
            if not provider.enabled:
                raise ByokError(
                    ErrorKind.PROVIDER_DISABLED,
                    f"{field}: provider {provider.name!r} is disabled; enable it first "
                    "(Configure Providers)",
                    field=field,
                    provider_id=provider.id,
                )

        def change(config: Config) -> None:
            if params.model_id is not None:
                check(config, params.model_id, "modelId")
            setattr(config.active, params.task, params.model_id)
            if params.fallbacks is not None:
                for i, ref in enumerate(params.fallbacks):
                    check(config, ref, f"fallbacks[{i}]")
                setattr(config.fallbacks, params.task, list(params.fallbacks))

        self.store.mutate(change)
        return self.active_get()


#: The provider fields ``providers/update`` may change (and so must put back on failure).
_UPDATABLE = ("name", "base_url", "allow_insecure_http", "enabled", "api_key_env", "budget")


def _restore(provider: Provider, before: Provider) -> None:
    for name in _UPDATABLE:
        # Only what changed: an assignment marks a field as chosen (written to the file).
        if getattr(provider, name) != getattr(before, name):
            setattr(provider, name, getattr(before, name))


def _drop_refs(
    config: Config, matches: Callable[[str], bool], tasks: tuple[Task, ...] = TASKS
) -> None:
    for task in tasks:
        current = getattr(config.active, task)
        if current is not None and matches(current):
            setattr(config.active, task, None)
        setattr(
            config.fallbacks, task, [r for r in getattr(config.fallbacks, task) if not matches(r)]
        )


def _rename_ref(config: Config, task: Task, old: str, new: str) -> None:
    if getattr(config.active, task) == old:
        setattr(config.active, task, new)
    setattr(
        config.fallbacks, task, [new if r == old else r for r in getattr(config.fallbacks, task)]
    )
