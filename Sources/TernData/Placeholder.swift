import TernTensor
