package backup

import (
	"errors"
	"fmt"
	"strings"

	"github.com/aws/smithy-go"
	"gocloud.dev/gcerrors"
)

// explain says what an object store's refusal means and what to fix.
func explain(what string, err error) error {
	var api smithy.APIError
	code := ""
	if errors.As(err, &api) {
		code = api.ErrorCode()
	}
	hint := ""
	switch {
	case code == "NoSuchBucket":
		hint = "the bucket does not exist: create it, or fix the bucket name in the destination"
	case code == "InvalidAccessKeyId":
		hint = "credentials refused (InvalidAccessKeyId): the access key is unknown to the object store; check AWS_ACCESS_KEY_ID (the Secret's key)"
	case code == "SignatureDoesNotMatch":
		hint = "credentials refused (SignatureDoesNotMatch): the secret key is wrong; check AWS_SECRET_ACCESS_KEY (the Secret's key)"
	case code == "AccessDenied" || gcerrors.Code(err) == gcerrors.PermissionDenied:
		hint = "credentials refused (AccessDenied): the key may not use this bucket; grant it s3:PutObject, s3:GetObject, s3:ListBucket and s3:DeleteObject"
	case code == "NoSuchKey" || gcerrors.Code(err) == gcerrors.NotFound:
		hint = "not found: check the bucket (it must exist) and the backup's name"
	case code == "":
		if isNoCredentials(err) {
			hint = "no credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or an AWS profile)"
		}
	}
	if hint != "" {
		return fmt.Errorf("%s: %s (%w)", what, hint, err)
	}
	return fmt.Errorf("%s: %w", what, err)
}

func isNoCredentials(err error) bool {
	s := err.Error()
	return strings.Contains(s, "failed to retrieve credentials") || strings.Contains(s, "no EC2 IMDS role found")
}
