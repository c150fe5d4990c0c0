declare module "dkfds-css";
