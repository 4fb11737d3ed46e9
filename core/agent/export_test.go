package agent

// EmitTaskEvent hands ev to the task manager's subscribers as a run's
// progress reaches them, for benchmarks of what follows.
func EmitTaskEvent(a *Agent, ev TaskEvent) { a.tasks.emit(ev) }

// Poke wakes the task scheduler to look at its tasks again, as a save
// does: for tests that move its clock.
func (t *Tasks) Poke() { t.poke() }
