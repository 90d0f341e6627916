"""What Ray Data and Dask share: table batches in any format turned into calls on one
client per process, and the answers into columns."""
