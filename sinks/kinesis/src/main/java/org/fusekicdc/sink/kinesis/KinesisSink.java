package org.fusekicdc.sink.kinesis;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Set;

import org.fusekicdc.core.sink.Sink;
import org.fusekicdc.core.sink.SinkException;
import org.fusekicdc.core.wire.PatchMessages;
import org.fusekicdc.core.wire.PatchRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.model.DescribeStreamSummaryResponse;
import software.amazon.awssdk.services.kinesis.model.KmsThrottlingException;
import software.amazon.awssdk.services.kinesis.model.LimitExceededException;
import software.amazon.awssdk.services.kinesis.model.ProvisionedThroughputExceededException;
import software.amazon.awssdk.services.kinesis.model.PutRecordResponse;
import software.amazon.awssdk.services.kinesis.model.ResourceInUseException;
import software.amazon.awssdk.services.kinesis.model.ResourceNotFoundException;
import software.amazon.awssdk.services.kinesis.model.StreamStatus;

/**
 * Puts a dataset's patches on a Kinesis data stream, one patch after the other, each in one
 * record or, past {@code cdc:maxRecordBytes}, in several (see {@link KinesisRecords} and
 * {@link PatchMessages}); the partition key is the dataset's name, so all its records are in one
 * shard, and each put names the previous record's sequence number (SequenceNumberForOrdering).
 * <p>
 * Kinesis has no idempotent producer. Instead {@link #open} (at start, and after every failure,
 * when the runner reopens the sink) reads the shard's tail ({@link ShardTail}) and returns the
 * last version there: delivery resumes after it, whatever the sink's cursor says. Throttling is
 * retried in place, the same record again, so nothing is reordered; any other failure of a put
 * leaves its outcome unknown, and the reopen's tail read finds out.
 * <p>
 * Failures: the service unreachable, throttled for longer than {@code cdc:requestTimeoutSeconds},
 * missing permissions, the stream not active: transient. Credentials refused or not found, a
 * missing stream (without {@code cdc:createStream}), no region: permanent for the sink. A patch
 * that needs more than {@code cdc:maxParts} records: permanent for the patch.
 */
public final class KinesisSink implements Sink {
    private static final Logger LOG = LoggerFactory.getLogger(KinesisSink.class);
    /** Error codes of credentials the service does not accept: retrying cannot help. */
    private static final Set<String> REFUSED_CREDENTIALS = Set.of("UnrecognizedClientException", "InvalidSignatureException",
                                                                  "MissingAuthenticationTokenException", "InvalidClientTokenId",
                                                                  "IncompleteSignatureException", "SignatureDoesNotMatch");
    /** Room kept in each record for the part headers beyond those of the patch. */
    private static final int PART_HEADERS_RESERVE = 64;
    private static final long FIRST_THROTTLE_BACKOFF_MILLIS = 50;
    private static final long MAX_THROTTLE_BACKOFF_MILLIS = 2_000;
    /** How long open waits for a stream it created, or one being updated, to become active. */
    private static final Duration ACTIVE_WAIT = Duration.ofMinutes(2);

    private final KinesisSinkConfig config;
    private final Path workDir;
    private KinesisClient client;
    /** The last version in the stream as this sink knows it (set by open, advanced by each put); -1 unknown or closed. */
    private long lastVersion = -1;
    /** The last record's sequence number, named by the next put; null for none. */
    private String lastSequence;

    public KinesisSink(KinesisSinkConfig config, Path workDir) {
        this.config = config;
        this.workDir = workDir;
        LOG.info("Dataset '{}': Kinesis sink '{}': {}", config.dataset(), config.sinkName(), config.describe());
    }

    public KinesisSinkConfig config() {
        return config;
    }

    @Override
    public String name() {
        return config.sinkName();
    }

    @Override
    public long open() throws SinkException {
        close();
        try {
            client = KinesisStream.client(config.region(), config.endpoint(), config.credentials(), config.requestTimeout());
        } catch (SdkClientException ex) {
            throw SinkException.permanentSinkFailure("cannot set up the Kinesis client: " + ex.getMessage()
                                                     + ". Set cdc:" + KinesisSinkConfig.REGION.name() + " (or AWS_REGION in the server's environment)", ex);
        }
        try {
            awaitActive();
            Instant deadline = Instant.now().plus(config.requestTimeout());
            ShardTail.Last last = ShardTail.find(client, config.stream(), config.dataset(), deadline);
            if ( last == null ) {
                lastVersion = -1;
                lastSequence = null;
                LOG.info("Dataset '{}': Kinesis sink '{}' open: stream {} holds no record of this dataset; continuing from the sink's cursor",
                         config.dataset(), name(), config.stream());
                return UNKNOWN;
            }
            lastVersion = last.version();
            lastSequence = last.sequenceNumber();
            LOG.info("Dataset '{}': Kinesis sink '{}' open: stream {} shard {} holds up to version {}", config.dataset(), name(), config.stream(),
                     last.shardId(), lastVersion);
            return lastVersion;
        } catch (SinkException ex) {
            close();
            throw ex;
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            close();
            throw SinkException.transientFailure("interrupted while reading the end of stream " + config.stream(), ex);
        } catch (SdkException ex) {
            close();
            throw failure("reading the end of stream " + config.stream(), ex);
        }
    }

    /** Wait until the stream can take records; create it first if it is missing and that is allowed. */
    private void awaitActive() throws SinkException, InterruptedException {
        Instant until = Instant.now().plus(ACTIVE_WAIT);
        boolean created = false;
        while ( true ) {
            DescribeStreamSummaryResponse d;
            try {
                d = client.describeStreamSummary(b -> b.streamName(config.stream()));
            } catch (ResourceNotFoundException ex) {
                if ( !config.createStream() )
                    throw SinkException.permanentSinkFailure("stream " + config.stream() + " does not exist" + where()
                                                             + ". Create it, or set cdc:" + KinesisSinkConfig.CREATE_STREAM.name()
                                                             + " true to have the sink create it with one shard; then resume the sink", ex);
                if ( !created ) {
                    try {
                        client.createStream(b -> b.streamName(config.stream()).shardCount(1));
                        LOG.info("Dataset '{}': Kinesis sink '{}' created stream {} with one shard", config.dataset(), name(), config.stream());
                    } catch (ResourceInUseException race) {
                        // Created meanwhile by someone else: wait for it like for ours.
                    }
                    created = true;
                }
                d = null;
            }
            StreamStatus status = d == null ? StreamStatus.CREATING : d.streamDescriptionSummary().streamStatus();
            if ( status == StreamStatus.ACTIVE || status == StreamStatus.UPDATING )
                return;
            if ( status == StreamStatus.DELETING )
                throw SinkException.transientFailure("stream " + config.stream() + " is being deleted" + where() + "; retrying", null);
            if ( Instant.now().isAfter(until) )
                throw SinkException.transientFailure("stream " + config.stream() + " is still " + status + " after " + ACTIVE_WAIT.toSeconds() + " s; retrying", null);
            Thread.sleep(200);
        }
    }

    @Override
    public void deliver(PatchRecord patch) throws SinkException {
        if ( client == null )
            throw SinkException.transientFailure("the sink is not connected", null);
        long version = patch.version();
        if ( version <= lastVersion ) {
            LOG.debug("Dataset '{}': Kinesis sink '{}': stream {} already holds version {}", config.dataset(), name(), config.stream(), version);
            return;
        }
        Map<String, String> recordHeaders = PatchMessages.headers(patch, config.contentType());
        try {
            recordHeaders.putAll(config.format().formatHeaders(patch));
        } catch (IOException ex) {
            throw SinkException.logReadFailure(version, ex);
        }
        int headerBytes = KinesisRecords.headerLength(recordHeaders) + PART_HEADERS_RESERVE;
        int partBytes = config.maxRecordBytes() - headerBytes;
        if ( partBytes < 1024 )
            throw SinkException.permanentFailure("version " + version + ": its headers (" + headerBytes + " bytes) leave less than 1024 bytes of a record of cdc:"
                                                 + KinesisSinkConfig.MAX_RECORD_BYTES.name() + " " + config.maxRecordBytes() + "; raise it", null);
        try {
            config.format().messages(patch, Map.of(), partBytes, workDir, (headers, value) -> put(version, headers, value));
        } catch (IOException ex) {
            throw SinkException.logReadFailure(version, ex);
        } catch (IllegalArgumentException ex) {
            throw SinkException.permanentFailure("version " + version + " cannot be put in Kinesis records: " + ex.getMessage(), ex);
        }
        lastVersion = version;
    }

    private void put(long version, Map<String, String> headers, byte[] value) throws SinkException {
        int part = Integer.parseInt(headers.get(PatchMessages.PART));
        int parts = Integer.parseInt(headers.get(PatchMessages.PARTS));
        if ( parts > config.maxParts() )
            throw SinkException.permanentFailure("version " + version + " needs " + parts + " records of at most " + config.maxRecordBytes()
                                                 + " bytes, more than cdc:" + KinesisSinkConfig.MAX_PARTS.name() + " " + config.maxParts()
                                                 + "; raise cdc:" + KinesisSinkConfig.MAX_PARTS.name() + " to send it", null);
        SdkBytes data = SdkBytes.fromByteArrayUnsafe(KinesisRecords.encode(headers, value));
        Instant deadline = Instant.now().plus(config.requestTimeout());
        long backoff = FIRST_THROTTLE_BACKOFF_MILLIS;
        String what = "version " + version + (parts > 1 ? " (record " + (part + 1) + " of " + parts + ")" : "");
        while ( true ) {
            try {
                PutRecordResponse r = client.putRecord(b -> b.streamName(config.stream()).partitionKey(config.dataset()).data(data)
                                                             .sequenceNumberForOrdering(lastSequence));
                lastSequence = r.sequenceNumber();
                return;
            } catch (ProvisionedThroughputExceededException | KmsThrottlingException | LimitExceededException ex) {
                // Refused, so not written: the same record again keeps the order.
                if ( Instant.now().plusMillis(backoff).isAfter(deadline) )
                    throw SinkException.transientFailure(what + ": stream " + config.stream() + " still throttles puts after "
                                                         + config.requestTimeout().toSeconds() + " s (" + ex.awsErrorDetails().errorCode()
                                                         + "); retrying. Add shards, or use on-demand capacity", ex);
                LOG.debug("Dataset '{}': Kinesis sink '{}': {} throttled; again in {} ms", config.dataset(), name(), what, backoff);
                try {
                    Thread.sleep(backoff);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw SinkException.transientFailure(what + ": interrupted while throttled", ie);
                }
                backoff = Math.min(backoff * 2, MAX_THROTTLE_BACKOFF_MILLIS);
            } catch (SdkException ex) {
                // The put may or may not have been written: close, so that the reopen reads the tail.
                lastVersion = -1;
                if ( ex instanceof AwsServiceException ase && ase.awsErrorDetails() != null
                     && Set.of("ValidationException", "SerializationException").contains(ase.awsErrorDetails().errorCode()) )
                    throw SinkException.permanentFailure(what + " to stream " + config.stream() + ": Kinesis refused the record ("
                                                         + ase.awsErrorDetails().errorCode() + ": " + ase.awsErrorDetails().errorMessage() + "). Lower cdc:"
                                                         + KinesisSinkConfig.MAX_RECORD_BYTES.name() + " below the service's record limit", ex);
                throw failure(what + " to stream " + config.stream(), ex);
            }
        }
    }

    private SinkException failure(String what, SdkException ex) {
        if ( ex instanceof AwsServiceException ase && ase.awsErrorDetails() != null ) {
            String code = String.valueOf(ase.awsErrorDetails().errorCode());
            String msg = ase.awsErrorDetails().errorMessage();
            if ( REFUSED_CREDENTIALS.contains(code) )
                return SinkException.permanentSinkFailure(what + ": Kinesis refused the credentials (" + config.credentialsSource() + "): " + code
                                                          + ". Fix cdc:" + KinesisSinkConfig.ACCESS_KEY_ID_ENV.name() + "/cdc:"
                                                          + KinesisSinkConfig.SECRET_ACCESS_KEY_ENV.name()
                                                          + " (or the variables they name, or the default chain's source), then resume the sink", ex);
            if ( code.equals("AccessDeniedException") )
                return SinkException.transientFailure(what + ": access denied (" + msg + "). Grant kinesis:PutRecord, kinesis:ListShards,"
                                                      + " kinesis:GetShardIterator, kinesis:GetRecords and kinesis:DescribeStreamSummary on stream "
                                                      + config.stream() + "; retrying until then", ex);
            if ( ex instanceof ResourceNotFoundException )
                return SinkException.transientFailure(what + ": stream " + config.stream() + " is gone" + where() + " (" + msg + "); retrying", ex);
            if ( code.equals("ExpiredTokenException") )
                return SinkException.transientFailure(what + ": the session token expired (" + config.credentialsSource() + "); retrying with fresh credentials", ex);
            return SinkException.transientFailure(what + ": Kinesis answered " + code + " (" + msg + "); retrying", ex);
        }
        String m = String.valueOf(ex.getMessage());
        if ( m.contains("Unable to load credentials") || m.contains("credentials") && m.contains("provider") )
            return SinkException.permanentSinkFailure(what + ": no AWS credentials (" + config.credentialsSource() + "): " + m
                                                      + ". Set cdc:" + KinesisSinkConfig.ACCESS_KEY_ID_ENV.name() + " and cdc:"
                                                      + KinesisSinkConfig.SECRET_ACCESS_KEY_ENV.name() + ", or give the server an AWS profile or role", ex);
        return SinkException.transientFailure(what + ": cannot reach Kinesis" + where() + ": " + m + "; retrying", ex);
    }

    private String where() {
        return " (" + (config.endpoint() != null ? "endpoint " + config.endpoint() : "region " + (config.region() == null ? "from the SDK's default" : config.region())) + ")";
    }

    @Override
    public void close() {
        KinesisClient c = client;
        client = null;
        lastVersion = -1;
        lastSequence = null;
        if ( c == null )
            return;
        try {
            c.close();
        } catch (RuntimeException ex) {
            LOG.debug("closing Kinesis client: {}", ex.toString());
        }
    }
}
