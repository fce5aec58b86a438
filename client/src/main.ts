// Entry point of the browser bundle.
import '@comfyorg/litegraph/style.css';
import './style.css';
import './app.ts';
