import 'katex/dist/katex.min.css';
import './app.css';
import { mount } from 'svelte';
import App from './App.svelte';
import { createClient } from './lib/transport/createClient';
import { AppState } from './lib/stores/app.svelte';
import { applyTheme, cachedTheme } from './lib/stores/settings.svelte';

applyTheme(cachedTheme());
const app = new AppState(createClient());
const target = document.getElementById('app');
if (!target) throw new Error('#app missing from index.html');
mount(App, { target, props: { app } });
void app.start();
