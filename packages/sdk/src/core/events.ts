import { EventEmitter } from 'eventemitter3'
import type { Transaction } from '../store/types.js'
import { type Clock, systemClock } from './clock.js'

/** The fields every event carries besides its own data. */
export interface CloudEventEnvelope<N extends string = string> {
  /** The event name, `<service>.<resource>.<verb>`. */
  type: N
  /** The resource's id. */
  id?: string
  /** The project owning the resource. */
  projectId?: string
  /** The request that caused the event, for audit and instance actions. */
  requestId?: string
  /** When the event was emitted, ISO-8601 UTC. */
  at: string
}

/**
 * The data of every event by name. Each module adds its own by declaration merging:
 *
 * @example
 * declare module '../core/events.js' {
 *   interface CloudEventMap { 'compute.server.updated': { status: string } }
 * }
 */
// biome-ignore lint/suspicious/noEmptyInterface: filled by declaration merging in each module
export interface CloudEventMap {}

/** The event names of map `M`: its keys of the form `<service>.<resource>.<verb>`. */
export type EventName<M extends object = CloudEventMap> = Extract<keyof M, `${string}.${string}.${string}`>

/** An event as listeners receive it: envelope plus data. */
export type CloudEvent<N extends EventName<M>, M extends object = CloudEventMap> = CloudEventEnvelope<N> &
  M[N]

/** Any event of map `M`, discriminated by `type`. */
export type AnyCloudEvent<M extends object = CloudEventMap> = {
  [N in EventName<M>]: CloudEvent<N, M>
}[EventName<M>]

/** What an emitter passes: the event's data plus the optional envelope fields; `type` and `at` are filled in. */
export type EventInput<N extends EventName<M>, M extends object = CloudEventMap> = M[N] &
  Partial<Omit<CloudEventEnvelope, 'type'>>

/** A listener; a returned promise that rejects is reported like a throw. */
export type CloudEventListener<E> = (event: E) => void | Promise<void>

/** The typed event bus of a cloud (`cloud.events`). */
export interface EventBus<M extends object = CloudEventMap> {
  /** Calls `listener` on every `name` event until the returned function is called. */
  on<N extends EventName<M>>(name: N, listener: CloudEventListener<CloudEvent<N, M>>): () => void
  /** Calls `listener` on the next `name` event only; the returned function cancels. */
  once<N extends EventName<M>>(name: N, listener: CloudEventListener<CloudEvent<N, M>>): () => void
  /** Removes every subscription of `listener` to `name`. */
  off<N extends EventName<M>>(name: N, listener: CloudEventListener<CloudEvent<N, M>>): void
  /** Calls `listener` on every event (audit, dashboard). Emitting costs nothing extra while nobody listens. */
  onAny(listener: CloudEventListener<AnyCloudEvent<M>>): () => void
  /** Emits now. Services use {@link EventBus.emitAfterCommit} instead, so that rolled-back work stays silent. */
  emit<N extends EventName<M>>(name: N, data: EventInput<N, M>): void
  /** Emits once `tx` has committed, and never if it rolls back. */
  emitAfterCommit<N extends EventName<M>>(
    tx: Pick<Transaction, 'afterCommit'>,
    name: N,
    data: EventInput<N, M>,
  ): void
  /** Listeners of `name`, or of every event (`onAny`) when no name is given. */
  listenerCount(name?: EventName<M>): number
}

/** Options of {@link createEventBus}. */
export interface EventBusOptions {
  /** Told when a listener throws or rejects; the other listeners still run. Default: `console.error`. */
  onListenerError?: (error: unknown, event: CloudEventEnvelope) => void
  /** Source of `at`; default the system clock. */
  clock?: Clock
}

type Wrapper = ((event: CloudEventEnvelope) => void) & { listener?: unknown }

const ANY = Symbol('any')

/** Creates an event bus over eventemitter3. */
export function createEventBus<M extends object = CloudEventMap>(options: EventBusOptions = {}): EventBus<M> {
  const ee = new EventEmitter<string | symbol>()
  const clock = options.clock ?? systemClock
  const onError =
    options.onListenerError ??
    ((error, event) => console.error(`[nubis] ${event.type} listener failed`, error))
  const report = (error: unknown, event: CloudEventEnvelope): void => {
    try {
      onError(error, event)
    } catch {
      // The error hook is the last resort; if it fails too there is nowhere left to report to.
    }
  }

  // Listeners are wrapped once, when they subscribe, so emitting allocates nothing but the event itself.
  const wrap = (listener: (event: never) => unknown): Wrapper => {
    const wrapper: Wrapper = (event) => {
      try {
        const result = listener(event as never)
        if (result instanceof Promise) result.catch((error: unknown) => report(error, event))
      } catch (error) {
        report(error, event)
      }
    }
    wrapper.listener = listener
    return wrapper
  }
  const subscribe = (name: string | symbol, listener: (event: never) => unknown, once: boolean) => {
    const wrapper = wrap(listener)
    if (once) ee.once(name, wrapper)
    else ee.on(name, wrapper)
    return () => void ee.off(name, wrapper)
  }

  // At a million events a second, formatting the time is the dearest step; it changes once a millisecond.
  let lastMs = Number.NaN
  let lastIso = ''
  const now = (): string => {
    const ms = clock.now()
    if (ms !== lastMs) {
      lastMs = ms
      lastIso = new Date(ms).toISOString()
    }
    return lastIso
  }

  const emit = <N extends EventName<M>>(name: N, data: EventInput<N, M>): void => {
    const any = ee.listenerCount(ANY) > 0
    if (!any && ee.listenerCount(name) === 0) return
    // Object.assign then set: V8 takes a slow path for `{ ...data, type }` (a property after a spread), ~30x slower.
    const event: CloudEventEnvelope = Object.assign({ type: name, at: '' }, data)
    event.type = name
    event.at = data.at ?? now()
    ee.emit(name, event)
    if (any) ee.emit(ANY, event)
  }

  return {
    on: (name, listener) => subscribe(name, listener, false),
    once: (name, listener) => subscribe(name, listener, true),
    off(name, listener) {
      for (const wrapper of ee.listeners(name) as Wrapper[]) {
        if (wrapper.listener === listener) ee.off(name, wrapper)
      }
    },
    onAny: (listener) => subscribe(ANY, listener, false),
    emit,
    emitAfterCommit(tx, name, data) {
      tx.afterCommit(() => emit(name, data))
    },
    listenerCount: (name) => ee.listenerCount(name ?? ANY),
  }
}
