// What `restore apply` tells the outside world while it runs: one event per step transition,
// bytes uploaded, and the final counts. The CLI turns them into progress bars (TTY), lines of
// text, or JSON lines (--json).
export type RestoreEvent =
  | { event: 'apply-start'; restoreId: string; steps: number; waves: number; resumed: boolean }
  | { event: 'project'; action: 'created' | 'found'; projectId: string; name: string }
  | { event: 'wave-start'; wave: number; steps: number }
  | { event: 'step-start'; stepId: string; wave: number; kind: string; name: string; action: string; operation: string }
  | { event: 'step-done'; stepId: string; wave: number; outcome: StepOutcome; targetId?: string; notes?: string[] }
  | { event: 'step-failed'; stepId: string; wave: number; error: string }
  | { event: 'step-blocked'; stepId: string; wave: number; blockedBy: string[] }
  | { event: 'step-not-restorable'; stepId: string; wave: number; reason: string }
  | { event: 'finish'; stepId: string; error?: string }
  | { event: 'bytes'; total: number }
  | { event: 'markers-removed'; resources: number; failed: string[] }
  | { event: 'apply-done'; counts: Record<string, number>; seconds: number }
  | { event: 'rollback-step'; stepId: string; targetId: string; result: 'deleted' | 'failed'; error?: string }
  | { event: 'rollback-done'; deleted: number; failed: number };

export type StepOutcome = 'created' | 'adopted' | 'updated' | 'reused' | 'mapped' | 'skipped' | 'linked' | 'already-done';

export interface RestoreReporter {
  emit(event: RestoreEvent): void;
}
