package app

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"unicode/utf8"

	"golang.org/x/term"

	"github.com/lanyard/lanyard/core/auth"
)

// ReadPassword reads a password from stdin: one line from a pipe, or typed
// without echo at a terminal (asked twice when confirm is set). The
// password is never printed or logged.
func ReadPassword(stdin io.Reader, stderr io.Writer, confirm bool) ([]byte, error) {
	if t, ok := terminalOf(stdin); ok {
		return readTyped(t, stderr, confirm, false)
	}
	return readLine(stdin)
}

// ReadNewPassword reads a new management password like ReadPassword with
// confirmation; at a terminal it also offers to generate one: an empty
// first answer makes a long random password (GeneratePassword), shown
// once, now, for the person to copy into the console. A password that was
// typed is never shown.
func ReadNewPassword(stdin io.Reader, stderr io.Writer) ([]byte, error) {
	var pw []byte
	var err error
	if t, ok := terminalOf(stdin); ok {
		pw, err = readTyped(t, stderr, true, true)
	} else {
		pw, err = readLine(stdin)
	}
	if err == nil {
		warnShort(stderr, pw)
	}
	return pw, err
}

// warnShort says, without showing it, that a new password is short.
func warnShort(stderr io.Writer, pw []byte) {
	if w := auth.ShortPasswordWarning(utf8.RuneCount(pw)); w != "" {
		fmt.Fprintf(stderr, "Warning: %s (at a terminal, press Enter at the prompt to generate one).\n", w)
	}
}

// terminal reads a line without echo.
type terminal interface {
	readHidden() ([]byte, error)
}

type fdTerminal int

func (fd fdTerminal) readHidden() ([]byte, error) { return term.ReadPassword(int(fd)) }

// terminalOf is stdin as a terminal, when it is one.
func terminalOf(stdin io.Reader) (terminal, bool) {
	if t, ok := stdin.(terminal); ok {
		return t, true // tests
	}
	if f, ok := stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		return fdTerminal(f.Fd()), true
	}
	return nil, false
}

func readTyped(t terminal, stderr io.Writer, confirm, offerGenerated bool) ([]byte, error) {
	prompt := "Management password: "
	if offerGenerated {
		prompt = "Management password (or press Enter to generate a long random one): "
	}
	fmt.Fprint(stderr, prompt)
	pw, err := t.readHidden()
	fmt.Fprintln(stderr)
	if err != nil {
		return nil, err
	}
	if len(pw) == 0 && offerGenerated {
		pw = auth.GeneratePassword()
		fmt.Fprintf(stderr, "Generated management password, shown this once: %s\n", pw)
		fmt.Fprintln(stderr, "Enter it on the console that manages this server (Add Slave), then clear the screen; it is not stored anywhere.")
		return pw, nil
	}
	if confirm && len(pw) > 0 {
		fmt.Fprint(stderr, "Again, to confirm: ")
		again, err := t.readHidden()
		fmt.Fprintln(stderr)
		if err != nil {
			return nil, err
		}
		if string(again) != string(pw) {
			return nil, errors.New("the two passwords differ; nothing was changed")
		}
	}
	if len(pw) == 0 {
		return nil, errors.New("the password is empty; nothing was changed")
	}
	return pw, nil
}

// readLine reads one line from a pipe.
func readLine(stdin io.Reader) ([]byte, error) {
	line, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && !(errors.Is(err, io.EOF) && line != "") {
		if errors.Is(err, io.EOF) {
			return nil, errors.New("no password on standard input: pipe it in, e.g. `printf '%s\\n' \"$PW\" | ...`")
		}
		return nil, err
	}
	pw := strings.TrimRight(line, "\r\n")
	if pw == "" {
		return nil, errors.New("the password on standard input is empty; nothing was changed")
	}
	return []byte(pw), nil
}
