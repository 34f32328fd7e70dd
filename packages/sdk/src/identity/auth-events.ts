// The events of authentication resources: application credentials and credentials.

declare module '../core/events.js' {
  interface CloudEventMap {
    'identity.application_credential.created': { id: string }
    'identity.application_credential.deleted': { id: string }
    'identity.credential.created': { id: string }
    'identity.credential.updated': { id: string }
    'identity.credential.deleted': { id: string }
  }
}

export {}
