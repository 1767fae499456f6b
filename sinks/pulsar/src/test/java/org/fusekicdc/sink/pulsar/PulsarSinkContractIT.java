package org.fusekicdc.sink.pulsar;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.fusekicdc.core.sink.SinkProvider;
import org.fusekicdc.core.sink.SinkState;
import org.fusekicdc.core.testing.contract.SinkContract;
import org.junit.jupiter.api.BeforeAll;

/**
 * The sink contract against a real standalone Pulsar broker in a child JVM (the one this
 * module's test classes share), with deduplication on, which the outage clause stops and starts
 * again on the same ports and data. The broker
 * checks tokens but lets clients without one in; the wrong-credentials clause gives a token
 * signed with another key. The dead-letter clause lowers the topic's max-message-size policy
 * below the sink's part size.
 */
class PulsarSinkContractIT extends SinkContract {
    private static final String TOKEN_VARIABLE = "PULSAR_CONTRACT_TOKEN";
    private static String wrongToken;

    private static PulsarTesting.PrivateBroker broker;

    private final String topic = "persistent://public/default/" + PulsarTesting.unique("fuseki-cdc-contract-");

    @BeforeAll
    static void useSharedBroker() throws Exception {
        broker = PulsarTesting.sharedBroker();
        wrongToken = PulsarTesting.token(PulsarTesting.secretKey(), "contract");
    }

    /** A provider whose environment holds a token, which only the wrong-credentials clause names. */
    @Override
    protected SinkProvider provider() {
        return new PulsarSinkProvider(Map.of(TOKEN_VARIABLE, wrongToken)::get);
    }

    @Override
    protected Map<String, String> options() {
        Map<String, String> o = new HashMap<>();
        o.put("url", broker.serviceUrl());
        o.put("topic", topic);
        o.put("connectTimeoutSeconds", "3");
        o.put("publishTimeoutSeconds", "3");
        return o;
    }

    @Override
    protected List<Delivered> read() throws Exception {
        return PulsarTesting.readPatches(broker.serviceUrl(), topic);
    }

    @Override
    protected void stopDestination() throws Exception {
        broker.stop();
    }

    @Override
    protected void startDestination() throws Exception {
        broker.start();
    }

    @Override
    protected WrongCredentials wrongCredentials() {
        Map<String, String> o = options();
        o.put("tokenEnv", TOKEN_VARIABLE);
        return new WrongCredentials(o, "cdc:tokenEnv", SinkState.PAUSED, wrongToken);
    }

    @Override
    protected Oversize oversize(int maxBytes) {
        Map<String, String> o = options();
        o.put("maxMessageBytes", Integer.toString(maxBytes));
        return new Oversize(OversizeRule.SPLIT, o);
    }

    @Override
    protected Map<String, String> refusingOptions(int maxBytes) {
        Map<String, String> o = options();
        o.put("maxMessageBytes", Integer.toString(2 * maxBytes));
        return o;
    }

    /** The topic's max-message-size policy lowered below the sink's part size, as an operator might. */
    @Override
    protected void refuseMessagesOver(int maxBytes) throws Exception {
        broker.topicMaxMessageSize(topic, maxBytes);
    }
}
