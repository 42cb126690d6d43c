"""The registry's only writers, one module per family (after Zulip's zerver/actions/): each
runs in one transaction, checks the actor's scope through restrict(), logs its event
(core.events) and leaves the audit rows to AuditedModel."""
