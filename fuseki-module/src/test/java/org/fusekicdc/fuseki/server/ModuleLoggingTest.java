package org.fusekicdc.fuseki.server;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.config.Configuration;
import org.apache.logging.log4j.core.config.Configurator;
import org.apache.logging.log4j.core.config.LoggerConfig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The module's INFO lines show under Fuseki's default logging (root at WARN), and a configuration that names the module wins. */
class ModuleLoggingTest {
    private final LoggerContext context = (LoggerContext)LogManager.getContext(false);
    private final Configuration configuration = context.getConfiguration();
    private final LoggerConfig saved = configuration.getLoggerConfig(ModuleLogging.MODULE_LOGGER);
    private final Level savedRoot = configuration.getRootLogger().getLevel();

    @AfterEach
    void restore() {
        configuration.removeLogger(ModuleLogging.MODULE_LOGGER);
        if ( saved.getName().equals(ModuleLogging.MODULE_LOGGER) )
            configuration.addLogger(ModuleLogging.MODULE_LOGGER, saved);
        configuration.getRootLogger().setLevel(savedRoot);
        context.updateLoggers();
    }

    @Test
    void underFusekisDefaultTheModuleLogsInfo() {
        configuration.removeLogger(ModuleLogging.MODULE_LOGGER);
        Configurator.setRootLevel(Level.WARN);
        ModuleLogging.showInfo();
        assertEquals(Level.INFO, LogManager.getLogger("org.fusekicdc.core.sink.internal.SinkRunner").getLevel());
    }

    @Test
    void aConfigurationThatNamesTheModuleIsKept() {
        Configurator.setRootLevel(Level.WARN);
        Configurator.setLevel(ModuleLogging.MODULE_LOGGER, Level.ERROR);
        ModuleLogging.showInfo();
        assertEquals(Level.ERROR, LogManager.getLogger("org.fusekicdc.core.sink.internal.SinkRunner").getLevel());
    }

    @Test
    void aRootMoreVerboseThanWarnIsLeftAlone() {
        configuration.removeLogger(ModuleLogging.MODULE_LOGGER);
        Configurator.setRootLevel(Level.DEBUG);
        ModuleLogging.showInfo();
        assertEquals(Level.DEBUG, LogManager.getLogger("org.fusekicdc.core.sink.internal.SinkRunner").getLevel());
    }
}
