package org.fusekicdc.sink.kafka;

import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ExtensionContext.Namespace;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * Gives tests a {@link TestBroker} parameter: one broker shared by every test class of the run
 * (started on first use, stopped when the run ends). If none can be had, each test asking for
 * it fails under {@code CI=true} and is skipped elsewhere, with the reason.
 *
 * <pre>
 * &#64;ExtendWith(KafkaBrokerExtension.class)
 * class SomeIT {
 *     &#64;Test void test(TestBroker broker) { ... broker.bootstrapServers() ... }
 * }
 * </pre>
 */
public final class KafkaBrokerExtension implements BeforeEachCallback, ParameterResolver {
    private static final Namespace NAMESPACE = Namespace.create(KafkaBrokerExtension.class);

    /**
     * Obtain the broker before each test: a skip or failure thrown here is reported as such for
     * that test (thrown from parameter resolution it would be a parameter error).
     */
    @Override
    public void beforeEach(ExtensionContext context) {
        shared(context).get();
    }

    private static Shared shared(ExtensionContext context) {
        return context.getRoot().getStore(NAMESPACE).computeIfAbsent(Shared.class, k -> new Shared(), Shared.class);
    }

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        return parameter.getParameter().getType() == TestBroker.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
        return shared(context).get();
    }

    /** The shared broker, or why there is none; started once, closed with the root context. */
    static final class Shared implements AutoCloseable {
        private TestBroker broker;
        private Throwable failure;

        synchronized TestBroker get() {
            if ( broker == null && failure == null ) {
                long start = System.nanoTime();
                try {
                    broker = TestBroker.obtain();
                    System.out.printf("Kafka sink ITs use the %s (ready in %.1f s)%n", broker, (System.nanoTime() - start) / 1e9);
                } catch (Throwable t) {
                    failure = t;
                }
            }
            if ( failure != null )
                throw TestBroker.unavailable("could not start an in-JVM KRaft cluster or reach " + TestBroker.ENV, failure);
            return broker;
        }

        @Override
        public synchronized void close() {
            if ( broker != null )
                broker.close();
        }
    }
}
