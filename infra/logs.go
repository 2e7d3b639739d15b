package infra

import (
	"slices"
	"strconv"
	"strings"
)

// LogRetentionDays are the retention periods, in days, a CloudWatch Logs log group accepts: the
// "Possible values" of retentionInDays in the CloudWatch Logs API Reference, PutRetentionPolicy
// (https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutRetentionPolicy.html,
// read 2026-12-07); pulumi-aws v6.83.4's cloudwatch.LogGroup documents the same list for
// retentionInDays (sdk/v6/go/aws/cloudwatch/logGroup.go, Go module cache), plus 0 for "never
// expire", which no key of this program offers. Every log group the program creates takes its
// retention from a config key checked against this list (IsLogRetentionDays).
var LogRetentionDays = []int{1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653}

// IsLogRetentionDays reports whether days is one of LogRetentionDays.
func IsLogRetentionDays(days int) bool { return slices.Contains(LogRetentionDays, days) }

// LogRetentionDaysList is LogRetentionDays as "1, 3, 5, ..., 3653", for error messages.
func LogRetentionDaysList() string {
	s := make([]string, len(LogRetentionDays))
	for i, d := range LogRetentionDays {
		s[i] = strconv.Itoa(d)
	}
	return strings.Join(s, ", ")
}

// LogGroupArn is the ARN of the CloudWatch Logs log group name:
// arn:<partition>:logs:<region>:<account>:log-group:<name>. Its log streams are
// LogGroupArn + ":log-stream:<stream>", which LogGroupArn + ":*" covers.
func LogGroupArn(partition, region, accountID, name string) string {
	return "arn:" + partition + ":logs:" + region + ":" + accountID + ":log-group:" + name
}
