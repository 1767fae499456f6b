package org.fusekicdc.sink.kafka;

import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;

import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.InvalidConfigurationException;
import org.apache.kafka.common.errors.InvalidReplicationFactorException;
import org.apache.kafka.common.errors.InvalidRequiredAcksException;
import org.apache.kafka.common.errors.InvalidTopicException;
import org.apache.kafka.common.errors.PolicyViolationException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.errors.RecordBatchTooLargeException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.TransactionalIdAuthorizationException;
import org.apache.kafka.common.errors.UnsupportedVersionException;
import org.fusekicdc.core.sink.SinkException;

/** What a Kafka client's failure means for the sink: retry, pause, or give up on the patch; with the cause and the fix. */
final class KafkaFailures {
    private KafkaFailures() {}

    /**
     * Sort a failure: patch-specific refusals are permanent (the patch may go to the dead-letter
     * directory), refusals of the sink as a whole (rights, credentials, configuration, another
     * producer) are permanent for the sink (it pauses), and the rest is transient (retried).
     */
    static SinkException classify(KafkaSinkConfig config, Throwable t, String what) {
        Throwable c = unwrap(t);
        String cause = c instanceof TimeoutException
            ? "no answer from " + config.bootstrapServers() + " within " + config.sendTimeout().toSeconds() + " s (cdc:"
              + KafkaSinkConfig.SEND_TIMEOUT_SECONDS.name() + ")"
            : c.toString();
        while ( cause.endsWith(".") )
            cause = cause.substring(0, cause.length() - 1);
        String prefix = "Kafka sink '" + config.sink() + "' (topic " + config.topic() + "): " + what + ": " + cause;
        if ( c instanceof SinkException se )
            return se;
        if ( c instanceof RecordTooLargeException || c instanceof RecordBatchTooLargeException )
            return SinkException.permanentFailure(prefix + ". Raise the topic's max.message.bytes (and the brokers' message.max.bytes) to at least cdc:"
                                                  + KafkaSinkConfig.MAX_MESSAGE_BYTES.name() + " (" + config.maxMessageBytes() + ") plus "
                                                  + KafkaSinkConfig.RECORD_OVERHEAD_BYTES + ", or lower cdc:" + KafkaSinkConfig.MAX_MESSAGE_BYTES.name(), c);
        if ( c instanceof TransactionalIdAuthorizationException )
            return SinkException.permanentSinkFailure(prefix + ". Grant the sink's principal WRITE and DESCRIBE on transactional id "
                                                      + config.transactionalId() + ", or set cdc:" + KafkaSinkConfig.TRANSACTIONAL.name() + " false", c);
        if ( c instanceof AuthorizationException )
            return SinkException.permanentSinkFailure(prefix + ". Grant the sink's principal WRITE and DESCRIBE on topic " + config.topic()
                                                      + (config.createTopic() ? " (and CREATE, or create the topic beforehand)" : "")
                                                      + ", and IDEMPOTENT_WRITE on the cluster for brokers older than 2.8", c);
        if ( c instanceof AuthenticationException )
            return SinkException.permanentSinkFailure(prefix + ". Check the security settings (security.protocol, sasl.*, ssl.*) in cdc:"
                                                      + KafkaSinkConfig.PRODUCER_PROPERTIES.name(), c);
        if ( c instanceof ProducerFencedException )
            return SinkException.fenced(prefix + ". Another producer with transactional id " + config.transactionalId()
                                        + " started: another server publishes dataset '" + config.dataset() + "' through sink '"
                                        + config.sink() + "' (a promoted follower, or a second server with this configuration)", c);
        if ( c instanceof ConfigException || c instanceof InvalidConfigurationException || c instanceof InvalidTopicException
             || c instanceof InvalidReplicationFactorException || c instanceof PolicyViolationException || c instanceof InvalidRequiredAcksException
             || c instanceof UnsupportedVersionException )
            return SinkException.permanentSinkFailure(prefix + ". Fix the sink's settings (cdc:" + KafkaSinkConfig.PRODUCER_PROPERTIES.name()
                                                      + ", cdc:" + KafkaSinkConfig.REPLICATION_FACTOR.name() + ") or the broker's, then resume the sink", c);
        return SinkException.transientFailure(prefix, c);
    }

    private static Throwable unwrap(Throwable t) {
        Throwable c = t;
        while ( (c instanceof ExecutionException || c instanceof CompletionException
                 || (c instanceof KafkaException && c.getClass() == KafkaException.class)) && c.getCause() != null )
            c = c.getCause();
        return c;
    }
}
