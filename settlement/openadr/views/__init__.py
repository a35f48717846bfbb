"""The VTN's endpoints, one module per kind of OpenADR object."""
