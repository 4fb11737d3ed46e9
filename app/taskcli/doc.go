// Package taskcli is the `task` command both command lines share:
// `lanyard-agent task …` on a server and `lanyard task … --slave NAME`
// through the running console. The arguments, flags, words, JSON and exit
// codes are defined here once; each command line supplies only how an
// operation reaches the tasks (Env.Do) and how it names itself in hints.
// The shell's completion of a task's name asks Env.Do for the list too.
package taskcli
