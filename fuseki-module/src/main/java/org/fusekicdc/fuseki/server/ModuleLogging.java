package org.fusekicdc.fuseki.server;

import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.config.Configurator;
import org.apache.logging.log4j.core.config.LoggerConfig;

/**
 * Makes the module's INFO lines (sinks started and paused, slow readers dropped, recovery
 * decisions) visible under Fuseki's default logging, which prints INFO only for Jena's and
 * Fuseki's own loggers and WARN for every other. A logging configuration that names
 * {@code org.fusekicdc} is left as it is.
 */
final class ModuleLogging {
    static final String MODULE_LOGGER = "org.fusekicdc";

    private ModuleLogging() {}

    /** Sets {@code org.fusekicdc} to INFO when Log4j 2 is the backend, nothing names the module and it inherits WARN, Fuseki's default. */
    static void showInfo() {
        if ( !log4jCorePresent() )
            return;
        if ( !(LogManager.getContext(false) instanceof LoggerContext context) )
            return;
        LoggerConfig config = context.getConfiguration().getLoggerConfig(MODULE_LOGGER);
        boolean configured = config.getName().equals(MODULE_LOGGER);
        if ( !configured && config.getLevel() == Level.WARN )
            Configurator.setLevel(MODULE_LOGGER, Level.INFO);
    }

    private static boolean log4jCorePresent() {
        try {
            Class.forName("org.apache.logging.log4j.core.LoggerContext", false, ModuleLogging.class.getClassLoader());
            return true;
        } catch (ClassNotFoundException | LinkageError ex) {
            return false;
        }
    }
}
