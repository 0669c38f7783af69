import LexicellCLI

LexicellCommand.runFromCommandLine()
