// The Lexicell library: one import for every pipeline stage.
@_exported import LexicellCore
@_exported import LexicellIO
@_exported import LexicellGenes
@_exported import LexicellText
@_exported import LexicellCells
@_exported import LexicellLearn
@_exported import LexicellNeighbors
@_exported import LexicellClassify
@_exported import LexicellReport
