"""Flowscope's web server: FastAPI + websockets. No math here: it turns engine traces into messages."""
