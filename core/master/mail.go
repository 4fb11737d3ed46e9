package master

import (
	"context"
	"errors"
	"time"
)

// SendReport mails the backup report now.
func (m *Master) SendReport(context.Context, time.Duration) (string, error) {
	return "", errors.New("mail is not set up on this console")
}
