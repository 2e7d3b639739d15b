package stacks

import (
	"net/mail"
	"regexp"
	"slices"
	"strings"
)

// snsTopicArnRe is an SNS topic ARN: arn:<partition>:sns:<region>:<account>:<name>, where a
// topic name has 1 to 256 letters, digits, '-' and '_' (".fifo" for a FIFO topic; SNS API
// Reference, CreateTopic, Name). Submatches: region, name.
var snsTopicArnRe = regexp.MustCompile(`^arn:aws[a-z-]*:sns:([a-z0-9-]+):\d{12}:([A-Za-z0-9_-]{1,256}(\.fifo)?)$`)

// maxAlarmAgeSeconds is the longest an SQS message can live (the retention maximum, 14 days).
const maxAlarmAgeSeconds = 1209600

func (c Config) validateMonitoring(v *validator) {
	m := c.Monitoring
	mk := func(field string) string { return key("monitoring", field) }
	if m.OldestMessageAgeSeconds < 60 || m.OldestMessageAgeSeconds > maxAlarmAgeSeconds {
		v.add("%s must be from 60 to %d (14 days; SQS publishes the age once a minute), got %d", mk("oldestMessageAgeSeconds"), maxAlarmAgeSeconds, m.OldestMessageAgeSeconds)
	} else if m.OldestMessageAgeSeconds >= c.Queue.MessageRetentionSeconds {
		v.add("%s (%d) must be below %s (%d): SQS deletes a message at that age, so the alarm could never fire",
			mk("oldestMessageAgeSeconds"), m.OldestMessageAgeSeconds, key("queue", "messageRetentionSeconds"), c.Queue.MessageRetentionSeconds)
	}
	for i, e := range m.AlarmEmails {
		if a, err := mail.ParseAddress(e); err != nil || a.Name != "" || a.Address != e || !strings.Contains(e[strings.LastIndex(e, "@")+1:], ".") {
			v.add("%s[%d] must be a bare e-mail address such as \"oncall@example.com\", got %q", mk("alarmEmails"), i, e)
		}
		if j := slices.Index(m.AlarmEmails, e); j != i {
			v.add("%s[%d] repeats %q of %s[%d]", mk("alarmEmails"), i, e, mk("alarmEmails"), j)
		}
	}
	if m.TopicArn == "" {
		return
	}
	if len(m.AlarmEmails) > 0 {
		v.add("%s %q and %s are both set: subscribe the addresses to that topic yourself, or leave %s empty and the stack creates a topic with them",
			mk("topicArn"), m.TopicArn, mk("alarmEmails"), mk("topicArn"))
	}
	sub := snsTopicArnRe.FindStringSubmatch(m.TopicArn)
	switch {
	case sub == nil:
		v.add("%s must be an SNS topic ARN such as \"arn:aws:sns:us-west-2:123456789012:alarms\", got %q", mk("topicArn"), m.TopicArn)
	case sub[1] != c.Region:
		v.add("%s %q is in region %q, not the stack's %q: CloudWatch alarms notify topics in their own region", mk("topicArn"), m.TopicArn, sub[1], c.Region)
	}
}
