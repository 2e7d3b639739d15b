package stacks

func (c Config) validateQueue(v *validator) {
	q := c.Queue
	if q.VisibilityTimeoutSeconds < 0 || q.VisibilityTimeoutSeconds > 43200 {
		v.add("%s must be from 0 to 43200 (12 hours), got %d", key("queue", "visibilityTimeoutSeconds"), q.VisibilityTimeoutSeconds)
	}
	if q.MessageRetentionSeconds < 60 || q.MessageRetentionSeconds > 1209600 {
		v.add("%s must be from 60 to 1209600 (14 days), got %d", key("queue", "messageRetentionSeconds"), q.MessageRetentionSeconds)
	}
	if q.DlqRetentionSeconds < 60 || q.DlqRetentionSeconds > 1209600 {
		v.add("%s must be from 60 to 1209600 (14 days), got %d", key("queue", "dlqRetentionSeconds"), q.DlqRetentionSeconds)
	} else if q.DlqRetentionSeconds < q.MessageRetentionSeconds {
		v.add("%s (%d) must be at least %s (%d): a message's age counts from its first enqueue, so a shorter DLQ retention deletes failed messages on arrival",
			key("queue", "dlqRetentionSeconds"), q.DlqRetentionSeconds, key("queue", "messageRetentionSeconds"), q.MessageRetentionSeconds)
	}
	if q.MaxReceiveCount < 1 || q.MaxReceiveCount > 1000 {
		v.add("%s must be from 1 to 1000, got %d", key("queue", "maxReceiveCount"), q.MaxReceiveCount)
	}
	if q.ReceiveWaitTimeSeconds < 1 || q.ReceiveWaitTimeSeconds > 20 {
		v.add("%s must be from 1 to 20 (long polling), got %d", key("queue", "receiveWaitTimeSeconds"), q.ReceiveWaitTimeSeconds)
	}
}
