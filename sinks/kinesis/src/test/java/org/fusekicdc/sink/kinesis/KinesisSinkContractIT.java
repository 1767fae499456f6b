package org.fusekicdc.sink.kinesis;

import java.time.Duration;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

import org.fusekicdc.core.sink.SinkProvider;
import org.fusekicdc.core.sink.SinkState;
import org.fusekicdc.core.testing.contract.SinkContract;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;

/**
 * The sink contract against kinesis-local (kinesis-mock: an implementation of the Kinesis API).
 * Wrong credentials go through {@link CredentialCheck}, since kinesis-local accepts any signature.
 * The sink reaches the service through a {@link TcpGateway}, which the outage clause cuts and
 * restores; that clause's writer is paced for a sink that puts one record at a time. Every
 * clause puts records of at most
 * {@value #MAX_RECORD_BYTES} bytes, so the large patches are split and kills land in the middle of one.
 */
class KinesisSinkContractIT extends SinkContract {
    static final int MAX_RECORD_BYTES = 2048;
    /** The dataset every clause captures. */
    private static final String DATASET = "ds";
    private static final String ID_VARIABLE = "KINESIS_CONTRACT_ACCESS_KEY_ID";
    private static final String SECRET_VARIABLE = "KINESIS_CONTRACT_SECRET_ACCESS_KEY";
    private static final String WRONG_SECRET = "wrong-secret-" + LocalKinesis.uniqueStream("s");

    private static LocalKinesis kinesis;
    /** The sink's path to the service, which the outage clause cuts. */
    private static TcpGateway gateway;

    private final String stream = LocalKinesis.uniqueStream("contract");
    private CredentialCheck check;

    @BeforeAll
    static void useSharedKinesis() throws Exception {
        kinesis = LocalKinesis.shared();
        gateway = new TcpGateway(kinesis.port());
    }

    @AfterAll
    static void closeGateway() throws Exception {
        if ( gateway != null )
            gateway.close();
    }

    @AfterEach
    void stopCheck() {
        if ( check != null )
            check.close();
    }

    /** A provider whose environment holds wrong credentials, which only the wrong-credentials clause names. */
    @Override
    protected SinkProvider provider() {
        return new KinesisSinkProvider(Map.of(ID_VARIABLE, "not-a-known-key", SECRET_VARIABLE, WRONG_SECRET)::get);
    }

    @Override
    protected Map<String, String> options() {
        Map<String, String> o = kinesis.options(stream);
        o.put("endpoint", gateway.endpoint());
        o.put("maxRecordBytes", Integer.toString(MAX_RECORD_BYTES));
        return o;
    }

    /** The network path cut: connections refused and open ones closed, as a sink sees a service go away. */
    @Override
    protected void stopDestination() {
        gateway.stop();
    }

    @Override
    protected void startDestination() throws Exception {
        gateway.start();
    }

    /**
     * Puts of one partition key keep their order only one at a time (each names the one before's
     * sequence number), and kinesis-local answers a put in several milliseconds at best: a
     * transaction every 50 ms leaves the sink room to catch up after the outage, on a busy machine too.
     */
    @Override
    protected Duration outageWriterPause() {
        return Duration.ofMillis(50);
    }

    @Override
    protected List<Delivered> read() {
        return StreamRecords.patches(StreamRecords.readAll(kinesis, stream, DATASET));
    }

    @Override
    protected Map<Clause, String> optOuts() {
        Map<Clause, String> o = new EnumMap<>(Clause.class);
        o.put(Clause.IN_FLIGHT_FAILURE, "never more than one put in flight: each names the one before's sequence number"
                                        + " (SequenceNumberForOrdering), so several patches cannot be in flight; KinesisOutageIT cuts the"
                                        + " network path with a put in flight and checks every version once, in order");
        return o;
    }

    @Override
    protected WrongCredentials wrongCredentials() throws Exception {
        check = new CredentialCheck(kinesis.endpoint(), LocalKinesis.ACCESS_KEY_ID);
        Map<String, String> o = options();
        o.put("endpoint", check.endpoint());
        o.put("accessKeyIdEnv", ID_VARIABLE);
        o.put("secretAccessKeyEnv", SECRET_VARIABLE);
        return new WrongCredentials(o, "cdc:accessKeyIdEnv", SinkState.PAUSED, WRONG_SECRET);
    }

    @Override
    protected Oversize oversize(int maxBytes) {
        Map<String, String> o = options();
        o.put("maxRecordBytes", Integer.toString(maxBytes));
        return new Oversize(OversizeRule.SPLIT, o);
    }

    /** One record a patch at most: a patch that needs more is refused for good. */
    @Override
    protected Map<String, String> refusingOptions(int maxBytes) {
        Map<String, String> o = options();
        o.put("maxRecordBytes", Integer.toString(maxBytes));
        o.put("maxParts", "1");
        return o;
    }
}
