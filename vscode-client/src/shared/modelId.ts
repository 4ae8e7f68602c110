/** Model ids are "<providerId>/<modelName>"; provider ids never contain "/", model names may. */
import type { Model, Provider, Task } from './protocol';

export function formatModelId(providerId: string, modelName: string): string {
  return `${providerId}/${modelName}`;
}

export function parseModelId(modelId: string | null | undefined): { providerId: string; modelName: string } | null {
  if (!modelId) return null;
  const slash = modelId.indexOf('/');
  if (slash <= 0 || slash === modelId.length - 1) return null;
  return { providerId: modelId.slice(0, slash), modelName: modelId.slice(slash + 1) };
}

export interface ModelChoice {
  modelId: string;
  provider: Provider;
  model: Model;
}

/** Models of one task across providers, enabled providers only unless asked otherwise. */
export function modelsForTask(providers: readonly Provider[], task: Task, includeDisabled = false): ModelChoice[] {
  const out: ModelChoice[] = [];
  for (const provider of providers) {
    if (!provider.enabled && !includeDisabled) continue;
    for (const model of provider.models ?? []) {
      if (model.task === task) out.push({ modelId: formatModelId(provider.id, model.name), provider, model });
    }
  }
  return out;
}

/** Short label for a status bar: the model name only ("gpt-4o"), or a placeholder. */
export function shortModelLabel(modelId: string | null | undefined, none = 'no model'): string {
  const parsed = parseModelId(modelId);
  return parsed ? parsed.modelName : none;
}

/** A model's task; the server sends it always, and a model without one is a chat model. */
export function taskOf(m: Pick<Model, 'task'>): Task {
  return m.task ?? 'chat';
}

export function groupModelsByTask(models: readonly Model[]): Record<Task, Model[]> {
  const groups: Record<Task, Model[]> = { chat: [], completion: [], embeddings: [] };
  for (const m of models) (groups[taskOf(m)] ?? (groups[taskOf(m)] = [])).push(m);
  return groups;
}
