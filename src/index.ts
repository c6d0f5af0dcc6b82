/** The Worker's entry: the CRM settings API as a Workers module. */
import { newApp } from "./app.ts";

export default newApp();
