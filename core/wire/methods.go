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

	// Backup tasks. The lists stream TaskPart chunks before the response.
	MethodTaskList      = "task.list"      // TaskListRequest → TaskPart…, TaskListResponse
	MethodTaskGet       = "task.get"       // TaskGetRequest → TaskInfo
	MethodTaskCheck     = "task.check"     // TaskCheckRequest → TaskCheckResponse
	MethodTaskPut       = "task.put"       // TaskPutRequest → TaskPutResponse
	MethodTaskDelete    = "task.delete"    // TaskDeleteRequest → TaskDeleteResponse
	MethodTaskRun       = "task.run"       // TaskRunRequest → TaskRunResponse
	MethodTaskStop      = "task.stop"      // TaskStopRequest → TaskStopResponse
	MethodTaskHistory   = "task.history"   // TaskHistoryRequest → TaskPart…
	MethodTaskSnapshots = "task.snapshots" // TaskSnapshotsRequest → TaskPart…
	MethodTaskBrowse    = "task.browse"    // TaskBrowseRequest → TaskPart…, TaskBrowseResponse
	MethodTaskVerify    = "task.verify"    // TaskVerifyRequest → TaskPart…, TaskVerifyResponse
	MethodTaskRestore   = "task.restore"   // TaskRestoreRequest → TaskPart…, TaskRestoreResponse
	MethodTaskHealth    = "task.health"    // TaskHealthRequest → TaskPart… (health), TaskHealthResponse
	// TaskDeleteSnapshotRequest → TaskDeleteSnapshotResponse
	MethodTaskDeleteSnapshot = "task.delete_snapshot"
	// TaskEstimateDeletionRequest → TaskEstimateDeletionResponse
	MethodTaskEstimateDeletion = "task.estimate_deletion"
	// TaskListFolderRequest → TaskPart… (entries), TaskListFolderResponse:
	// one folder of the server itself, to choose a task's paths from.
	MethodTaskListFolder = "task.list_folder"
	// TaskMakeFolderRequest → TaskMakeFolderResponse: a new folder on the
	// server itself, where a task's destination or a restore may go.
	MethodTaskMakeFolder = "task.make_folder"
	// TaskFindRequest → TaskPart… (found), TaskFindResponse: the files a
	// pattern matches in a task's snapshots.
	MethodTaskFind = "task.find"
)

// Events the agent pushes to every linked console.
const (
	EventStatus       = "status"        // StatusResponse: the agent's settings or state changed
	EventTaskProgress = "task.progress" // Progress: a run's progress, at most ten a second
	EventRunStarted   = "run.started"   // RunReport (result running)
	EventRunFinished  = "run.finished"  // RunReport
	EventTaskChanged  = "task.changed"  // TaskInfo: added or edited
	EventTaskRemoved  = "task.removed"  // TaskRemoved
	// EventSnapshotDeleted: TaskDeleteSnapshotResponse, a snapshot
	// deleted by hand (from any console, or the agent's command line)
	// and the room it left.
	EventSnapshotDeleted = "snapshot.deleted"
	// EventResync: events for this console were dropped (it did not keep
	// up); it should read again what it shows. No body.
	EventResync = "resync"
)

// Task response error codes.
const (
	// ErrConflict answers a save or removal made against an older
	// version of a task: another console changed it meanwhile.
	ErrConflict = "conflict"
	// ErrTaskBusy answers a run or deletion refused because the task
	// runs, or a snapshot of it is being deleted: nothing was wrong with
	// the request, and it may succeed once that ends. (A console older
	// than it shows it as the agent's words, as it does any code it does
	// not know.)
	ErrTaskBusy = "task_busy"
	// ErrFilesExist answers a restore refused because files exist where
	// it would write and it was not asked to leave or replace them: the
	// request's fault, as bad_request is, which the console can name in
	// its own words (the window's choices, the command line's flags).
	ErrFilesExist = "files_exist"
)
