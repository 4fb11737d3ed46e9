package wire

// Request methods the agent answers. An agent that does not know a method
// answers ErrUnknownMethod; the console then says the agent's version does
// not support it, and everything else stays manageable.
const (
	MethodStatus      = "status"       // StatusRequest → StatusResponse
	MethodLogTail     = "log.tail"     // LogTailRequest → LogLines chunks, LogTailResponse
	MethodSettingsGet = "settings.get" // SettingsGetRequest → AgentSettings
	MethodSettingsSet = "settings.set" // SettingsSetRequest → SettingsSetResponse
	MethodPasswordSet = "password.set" // PasswordSetRequest → PasswordSetResponse (SSL only)
)

// Events the agent pushes to every linked console.
const (
	EventStatus = "status" // StatusResponse: the agent's settings or state changed
	// EventResync: events for this console were dropped (it did not keep
	// up); it should read again what it shows. No body.
	EventResync = "resync"
)
