package app

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/term"
)

// ReadPassword reads a password from stdin: one line from a pipe, or typed
// without echo at a terminal (asked twice when confirm is set). The
// password is never printed or logged.
func ReadPassword(stdin io.Reader, stderr io.Writer, confirm bool) ([]byte, error) {
	if f, ok := stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprint(stderr, "Management password: ")
		pw, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(stderr)
		if err != nil {
			return nil, err
		}
		if confirm {
			fmt.Fprint(stderr, "Again, to confirm: ")
			again, err := term.ReadPassword(int(f.Fd()))
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
